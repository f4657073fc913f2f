#include "backends/etcd/etcd_tier.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backends/etcd/sealed_value.h"
#include "cargo_credential/error.h"
#include "sodium.h"

namespace credcache {
namespace {

using cargo_credential::CacheControl;
using cargo_credential::CacheKind;
using cargo_credential::CredentialResponse;

// How long a daemon's claims outlive it: a waiter claims in its place
// after this, at the latest.
constexpr absl::Duration kSessionLeaseTtl = absl::Seconds(5);
// How often the upkeep thread renews the lease and learns the leader.
constexpr absl::Duration kUpkeepEvery = absl::Seconds(2);
// How long a waiter sleeps between looks when no watch event wakes it.
constexpr absl::Duration kWaitStep = absl::Milliseconds(200);
// The longest pause between attempts to reach a cluster that is down.
constexpr absl::Duration kMaxBackoff = absl::Seconds(1);
// What a generation key holds: who made it for a first value, or who
// bumped it (a logout, a login, a forget).
constexpr char kCreated[] = "created by ";
constexpr char kBumped[] = "bumped by ";
// The longest a value is shared: the longest any cache setting allows.
constexpr absl::Duration kLongestShare = absl::Hours(24 * 30);
// The most index URLs the tier remembers (for evictions by digest).
constexpr size_t kMaxUrls = 10000;
// A value this close to its expiry is not served: cargo could not finish a
// command with it.
constexpr absl::Duration kMinLeft = absl::Seconds(1);

std::string HexDigest(absl::string_view data, size_t bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), std::min(bytes, sizeof(digest))));
}

std::string ArgsDigest(const std::vector<std::string>& args) {
  std::string joined;
  for (const std::string& arg : args) absl::StrAppend(&joined, arg.size(), ":", arg, ";");
  return HexDigest(joined, 8);
}

etcdserverpb::Compare Compare(const std::string& key, etcdserverpb::Compare::CompareTarget target,
                              int64_t revision) {
  etcdserverpb::Compare compare;
  compare.set_key(key);
  compare.set_result(etcdserverpb::Compare::EQUAL);
  compare.set_target(target);
  if (target == etcdserverpb::Compare::CREATE) {
    compare.set_create_revision(revision);
  } else {
    compare.set_mod_revision(revision);
  }
  return compare;
}

void AddRange(google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>* ops,
              const std::string& key) {
  ops->Add()->mutable_request_range()->set_key(key);
}

void AddPut(google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>* ops,
            const std::string& key, std::string value, int64_t lease) {
  etcdserverpb::PutRequest* put = ops->Add()->mutable_request_put();
  put->set_key(key);
  put->set_value(std::move(value));
  put->set_lease(lease);
}

void AddDelete(google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>* ops,
               const std::string& key, bool prefix) {
  etcdserverpb::DeleteRangeRequest* remove = ops->Add()->mutable_request_delete_range();
  remove->set_key(key);
  if (prefix) remove->set_range_end(PrefixEnd(key));
}

// Makes the registry's generation key, in the same transaction, when etcd
// has none (a nested transaction): the value a claimer writes is sealed at
// a generation that exists, at no extra round trip.
void AddGeneration(google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>* ops,
                   const std::string& gen_key, const std::string& writer) {
  etcdserverpb::TxnRequest* nested = ops->Add()->mutable_request_txn();
  etcdserverpb::Compare* absent = nested->add_compare();
  absent->set_key(gen_key);
  absent->set_result(etcdserverpb::Compare::EQUAL);
  absent->set_target(etcdserverpb::Compare::CREATE);
  absent->set_create_revision(0);
  AddPut(nested->mutable_success(), gen_key, absl::StrCat(kCreated, writer), 0);
}

// The key-value a range in a transaction's answer found, or null.
const mvccpb::KeyValue* Found(const etcdserverpb::TxnResponse& response, int index) {
  if (index >= response.responses_size()) return nullptr;
  const etcdserverpb::ResponseOp& op = response.responses(index);
  if (!op.has_response_range() || op.response_range().kvs_size() == 0) return nullptr;
  return &op.response_range().kvs(0);
}

// Whether a failed call says the lease it named is gone (put with a lease
// that expired or was revoked).
bool LeaseGone(const absl::Status& status) {
  return absl::StrContains(status.message(), "requested lease not found");
}

std::string Writer() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  // Short enough for any sealed value (kMaxSealedWriterBytes).
  return absl::StrCat(absl::string_view(host).substr(0, 64), ":", getpid());
}

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace

absl::StatusOr<TeamKeys> EtcdTier::LoadKeys(const EtcdTierSettings& settings) {
  if (sodium_init() < 0) return absl::InternalError("libsodium did not initialise");
  absl::StatusOr<TeamKeys> keys = TeamKeys::Load(settings.team_key_file);
  if (!keys.ok()) {
    return absl::Status(
        keys.status().code(),
        absl::StrCat(settings.connection.Where("team_key_file"), ": ", keys.status().message()));
  }
  return keys;
}

absl::Status EtcdTier::CheckFiles(const EtcdTierSettings& settings) {
  absl::StatusOr<TeamKeys> keys = LoadKeys(settings);
  if (!keys.ok()) return keys.status();
  return EtcdClient::Connect(settings.connection).status();
}

absl::StatusOr<std::shared_ptr<EtcdTier>> EtcdTier::Start(EtcdTierSettings settings,
                                                          Notice notice) {
  absl::StatusOr<TeamKeys> keys = LoadKeys(settings);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<std::unique_ptr<EtcdClient>> client = EtcdClient::Connect(settings.connection);
  if (!client.ok()) return client.status();
  std::shared_ptr<EtcdTier> tier(
      new EtcdTier(std::move(settings), *std::move(keys), *std::move(client), std::move(notice)));
  EtcdTier* raw = tier.get();
  tier->watch_thread_ = std::thread([raw] { raw->WatchLoop(); });
  tier->upkeep_thread_ = std::thread([raw] { raw->UpkeepLoop(); });
  // The first requests (the one that started an on-demand daemon) should
  // find the tier joined when the cluster answers; a cluster that does not
  // costs the start at most two deadlines.
  absl::MutexLock lock(&tier->stop_mutex_);
  tier->stop_mutex_.AwaitWithTimeout(absl::Condition(&tier->first_try_done_),
                                     2 * tier->settings_.connection.deadline);
  return tier;
}

EtcdTier::EtcdTier(EtcdTierSettings settings, TeamKeys keys, std::unique_ptr<EtcdClient> client,
                   Notice notice)
    : settings_(std::move(settings)),
      keys_(std::move(keys)),
      client_(std::move(client)),
      notice_(std::move(notice)),
      writer_(Writer()) {
  status_.endpoints = settings_.connection.endpoints;
  status_.prefix = settings_.prefix;
}

EtcdTier::~EtcdTier() {
  stopping_ = true;
  {
    absl::MutexLock lock(&stop_mutex_);
    stop_ = true;
  }
  {
    absl::MutexLock lock(&mutex_);
    if (watch_ != nullptr) watch_->Cancel();
  }
  if (watch_thread_.joinable()) watch_thread_.join();
  if (upkeep_thread_.joinable()) upkeep_thread_.join();
}

void EtcdTier::SetEvictor(Evictor evictor) {
  absl::MutexLock lock(&mutex_);
  evictor_ = std::move(evictor);
}

void EtcdTier::SetRefusalAudit(Refusal refusal) {
  absl::MutexLock lock(&mutex_);
  refusal_ = std::move(refusal);
}

std::string EtcdTier::UrlDigest(const std::string& index_url) const {
  return HexDigest(index_url, 16);
}

std::string EtcdTier::TokenKey(const std::string& index_url,
                               const std::vector<std::string>& args) const {
  return absl::StrCat(settings_.prefix, "token/", UrlDigest(index_url), "/", ArgsDigest(args));
}

std::string EtcdTier::ClaimKey(const std::string& index_url,
                               const std::vector<std::string>& args) const {
  return absl::StrCat(settings_.prefix, "claim/", UrlDigest(index_url), "/", ArgsDigest(args));
}

std::string EtcdTier::GenerationKey(const std::string& index_url) const {
  return absl::StrCat(settings_.prefix, "gen/", UrlDigest(index_url));
}

void EtcdTier::MarkDown(const absl::Status& why) {
  const bool was_up = up_.exchange(false);
  {
    absl::MutexLock lock(&mutex_);
    status_.last_error = std::string(why.message());
    status_.last_error_at = absl::Now();
    // The watch restarts, and reads everything again before the tier is
    // trusted: events may have been missed meanwhile.
    if (watch_ != nullptr) watch_->Cancel();
  }
  if (was_up) {
    notice_(NoticeLevel::kTrouble,
            absl::StrCat("etcd tier unreachable (", why.message(),
                         "): serving from this machine alone until the cluster answers"));
  }
}

absl::StatusOr<int64_t> EtcdTier::SessionLease() {
  {
    absl::MutexLock lock(&mutex_);
    if (session_lease_ != 0) return session_lease_;
  }
  absl::StatusOr<int64_t> lease = client_->GrantLease(kSessionLeaseTtl);
  if (!lease.ok()) return lease.status();
  absl::MutexLock lock(&mutex_);
  session_lease_ = *lease;
  return *lease;
}

absl::StatusOr<int64_t> EtcdTier::ValueLease(absl::Duration ttl) {
  const int64_t seconds = absl::ToInt64Seconds(absl::Floor(ttl, absl::Seconds(1)));
  const absl::Time now = absl::Now();
  // A lease granted a moment ago for the same TTL serves again: its values
  // end at most a fiftieth of their TTL early (never late), and a cold get
  // spares a write to the cluster.
  const absl::Duration reuse = std::max(absl::Seconds(1), absl::Seconds(seconds) / 50);
  {
    absl::MutexLock lock(&mutex_);
    auto it = value_leases_.find(seconds);
    if (it != value_leases_.end() && now - it->second.second < reuse) return it->second.first;
  }
  absl::StatusOr<int64_t> lease = client_->GrantLease(absl::Seconds(seconds));
  if (!lease.ok()) return lease.status();
  absl::MutexLock lock(&mutex_);
  if (value_leases_.size() > 64) value_leases_.clear();  // Bounded: TTLs of `expires` tokens vary.
  value_leases_[seconds] = {*lease, now};
  return *lease;
}

absl::StatusOr<int64_t> EtcdTier::EnsureGeneration(const std::string& gen_key) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = Compare(gen_key, etcdserverpb::Compare::CREATE, 0);
  AddPut(txn.mutable_success(), gen_key, absl::StrCat(kCreated, writer_), 0);
  AddRange(txn.mutable_failure(), gen_key);
  absl::StatusOr<etcdserverpb::TxnResponse> made = client_->Txn(txn);
  if (!made.ok()) return made.status();
  if (made->succeeded()) return made->header().revision();
  const mvccpb::KeyValue* generation = Found(*made, 0);
  if (generation == nullptr) return absl::UnavailableError("etcd: the generation key vanished");
  return generation->mod_revision();
}

absl::StatusOr<CredentialResponse> EtcdTier::Get(const std::string& index_url,
                                                 const std::vector<std::string>& args,
                                                 absl::Duration session_ttl,
                                                 absl::Duration expiry_margin,
                                                 absl::Time wait_until, const Fetch& fetch) {
  auto local = [&]() {
    {
      absl::MutexLock lock(&mutex_);
      ++stats_.local;
    }
    return fetch();
  };
  Remember(index_url);
  if (!up_) return local();
  const std::string token_key = TokenKey(index_url, args);
  const std::string claim_key = ClaimKey(index_url, args);
  const std::string gen_key = GenerationKey(index_url);
  // Holding the claim: fetch for the fleet, and share what may be shared
  // under the registry's generation (made now if etcd has none: a value
  // is never sealed, nor served, at generation 0).
  auto as_claimer = [&](const mvccpb::KeyValue* generation) -> absl::StatusOr<CredentialResponse> {
    {
      absl::MutexLock lock(&mutex_);
      ++stats_.claims;
    }
    absl::StatusOr<int64_t> gen = generation != nullptr
                                      ? absl::StatusOr<int64_t>(generation->mod_revision())
                                      : EnsureGeneration(gen_key);
    absl::StatusOr<CredentialResponse> fetched = fetch();
    if (fetched.ok()) {
      // As every daemon serving the value from etcd answers (Serve).
      fetched->operation_independent = false;
    }
    if (!gen.ok()) {
      MarkDown(gen.status());
      Unclaim(claim_key);
    } else {
      const CredentialResponse nothing = CredentialResponse::Logout();
      Publish(index_url, args, fetched.ok() ? *fetched : nothing, *gen, session_ttl, expiry_margin);
    }
    return fetched;
  };
  bool waited = false;
  int refused = 0;
  int lease_lost = 0;
  while (true) {
    absl::StatusOr<int64_t> lease = SessionLease();
    if (!lease.ok()) {
      MarkDown(lease.status());
      return local();
    }
    uint64_t events_before;
    {
      absl::MutexLock lock(&mutex_);
      events_before = events_;
    }
    // One round trip: the value if there is one, else the claim.
    etcdserverpb::TxnRequest txn;
    *txn.add_compare() = Compare(token_key, etcdserverpb::Compare::CREATE, 0);
    *txn.add_compare() = Compare(claim_key, etcdserverpb::Compare::CREATE, 0);
    AddPut(txn.mutable_success(), claim_key, writer_, *lease);
    AddGeneration(txn.mutable_success(), gen_key, writer_);
    AddRange(txn.mutable_success(), gen_key);
    AddRange(txn.mutable_failure(), token_key);
    AddRange(txn.mutable_failure(), gen_key);
    AddRange(txn.mutable_failure(), claim_key);
    absl::StatusOr<etcdserverpb::TxnResponse> answer = client_->Txn(txn);
    if (!answer.ok()) {
      if (LeaseGone(answer.status()) && ++lease_lost <= 1) {
        absl::MutexLock lock(&mutex_);
        session_lease_ = 0;
        continue;
      }
      MarkDown(answer.status());
      return local();
    }
    if (answer->succeeded()) return as_claimer(Found(*answer, 2));
    const mvccpb::KeyValue* token = Found(*answer, 0);
    const mvccpb::KeyValue* generation = Found(*answer, 1);
    const mvccpb::KeyValue* claim = Found(*answer, 2);
    const int64_t gen = generation == nullptr ? 0 : generation->mod_revision();
    if (token != nullptr) {
      Refused why = Refused::kNo;
      std::optional<CredentialResponse> served =
          Serve(token_key, index_url, token->value(), gen, expiry_margin, &why);
      if (served.has_value()) {
        absl::MutexLock lock(&mutex_);
        ++stats_.hits;
        return *std::move(served);
      }
      // A value this daemon cannot open may be another's under a key it
      // lacks (a rotation under way): left alone, and fetched here alone.
      if (why == Refused::kUnreadable || ++refused > 2) return local();
      // An obsolete one is deleted (unless it changed meanwhile), then
      // fetched anew.
      etcdserverpb::TxnRequest drop;
      *drop.add_compare() = Compare(token_key, etcdserverpb::Compare::MOD, token->mod_revision());
      AddDelete(drop.mutable_success(), token_key, false);
      absl::StatusOr<etcdserverpb::TxnResponse> dropped = client_->Txn(drop);
      if (!dropped.ok()) {
        MarkDown(dropped.status());
        return local();
      }
      continue;
    }
    if (claim == nullptr) continue;  // Both went meanwhile: look again.
    // Another daemon is fetching it. A claim with no lease (no daemon
    // wrote it) or one that outlived the wait is taken over; otherwise wait
    // for its value, or for it to go, and look again.
    const absl::Time now = absl::Now();
    if (claim->lease() == 0 || now >= wait_until) {
      etcdserverpb::TxnRequest takeover;
      *takeover.add_compare() =
          Compare(claim_key, etcdserverpb::Compare::MOD, claim->mod_revision());
      AddPut(takeover.mutable_success(), claim_key, writer_, *lease);
      AddGeneration(takeover.mutable_success(), gen_key, writer_);
      AddRange(takeover.mutable_success(), gen_key);
      absl::StatusOr<etcdserverpb::TxnResponse> taken = client_->Txn(takeover);
      if (!taken.ok()) {
        MarkDown(taken.status());
        return local();
      }
      if (taken->succeeded()) return as_claimer(Found(*taken, 2));
      if (now >= wait_until) return local();
      continue;
    }
    if (!waited) {
      waited = true;
      absl::MutexLock lock(&mutex_);
      ++stats_.waits;
    }
    {
      absl::MutexLock lock(&mutex_);
      auto moved = [this, events_before]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return events_ != events_before || !up_.load();
      };
      mutex_.AwaitWithDeadline(absl::Condition(&moved), std::min(now + kWaitStep, wait_until));
    }
    if (!up_) return local();
  }
}

void EtcdTier::Remember(const std::string& index_url) {
  bool full;
  {
    absl::MutexLock lock(&mutex_);
    full = urls_.size() >= kMaxUrls && urls_.count(UrlDigest(index_url)) == 0;
  }
  if (full) {
    // Every copy the tier may have served goes, and the map starts over:
    // bounded, whatever registries its askers name.
    Evict(std::nullopt);
    absl::MutexLock lock(&mutex_);
    urls_.clear();
  }
  absl::MutexLock lock(&mutex_);
  urls_[UrlDigest(index_url)] = index_url;
}

void EtcdTier::Unclaim(const std::string& claim_key) {
  absl::MutexLock lock(&mutex_);
  pending_unclaims_.insert(claim_key);
}

void EtcdTier::Publish(const std::string& index_url, const std::vector<std::string>& args,
                       const CredentialResponse& answer, int64_t generation,
                       absl::Duration session_ttl, absl::Duration expiry_margin) {
  const std::string token_key = TokenKey(index_url, args);
  const std::string claim_key = ClaimKey(index_url, args);
  etcdserverpb::TxnRequest txn;
  AddDelete(txn.mutable_failure(), claim_key, false);
  bool share =
      answer.kind == cargo_credential::ResponseKind::kGet &&
      (answer.cache.kind == CacheKind::kSession || answer.cache.kind == CacheKind::kExpires);
  SealedPayload payload;
  absl::Duration left;
  if (share) {
    payload.session = answer.cache.kind == CacheKind::kSession;
    // An `expires` far off (or absurd) is shared no longer than the longest
    // any setting allows.
    const int64_t latest = NowMs() + absl::ToInt64Milliseconds(kLongestShare);
    payload.expires_unix_ms = payload.session ? NowMs() + absl::ToInt64Milliseconds(session_ttl)
                              : answer.cache.expiration <= 0 ? 0
                              : answer.cache.expiration > latest / 1000
                                  ? latest
                                  : answer.cache.expiration * 1000;
    left = absl::Milliseconds(payload.expires_unix_ms - NowMs()) -
           (payload.session ? absl::ZeroDuration() : expiry_margin);
    share = left > kMinLeft;
  }
  if (share) {
    payload.token = answer.token.Clone();
    payload.generation = static_cast<uint64_t>(generation);
    payload.writer = writer_;
    absl::StatusOr<std::string> sealed = Seal(keys_, token_key, index_url, payload);
    absl::StatusOr<int64_t> lease = ValueLease(left);
    if (!lease.ok()) {
      MarkDown(lease.status());
      Unclaim(claim_key);  // Deleted on rejoining.
      return;
    }
    if (sealed.ok()) {
      *txn.add_compare() =
          Compare(GenerationKey(index_url), etcdserverpb::Compare::MOD, generation);
      AddPut(txn.mutable_success(), token_key, *std::move(sealed), *lease);
      AddDelete(txn.mutable_success(), claim_key, false);
    } else {
      notice_(NoticeLevel::kTrouble, absl::StrCat("etcd tier: could not seal a token for ",
                                                  index_url, ": ", sealed.status().message()));
      AddDelete(txn.mutable_success(), claim_key, false);
    }
  } else {
    AddDelete(txn.mutable_success(), claim_key, false);
  }
  absl::StatusOr<etcdserverpb::TxnResponse> written = client_->Txn(txn);
  if (!written.ok() && LeaseGone(written.status())) {
    // Not the cluster's fault: a reused lease ended early (a restore, a
    // revoke by hand). The value is not shared this time; the claim goes.
    {
      absl::MutexLock lock(&mutex_);
      value_leases_.clear();
    }
    etcdserverpb::TxnRequest unclaim;
    AddDelete(unclaim.mutable_success(), claim_key, false);
    client_->Txn(unclaim).status().IgnoreError();
    return;
  } else if (!written.ok()) {
    MarkDown(written.status());
    Unclaim(claim_key);
  }
}

std::optional<CredentialResponse> EtcdTier::Serve(const std::string& key,
                                                  const std::string& index_url,
                                                  const std::string& value, int64_t generation,
                                                  absl::Duration expiry_margin, Refused* why) {
  absl::StatusOr<SealedPayload> opened = Open(keys_, key, index_url, value);
  std::string refused;
  if (!opened.ok()) {
    *why = Refused::kUnreadable;
    refused = std::string(opened.status().message());
  } else if (generation == 0) {
    *why = Refused::kStale;
    refused = "etcd has no generation for the registry (deleted?)";
  } else if (opened->generation != static_cast<uint64_t>(generation)) {
    *why = Refused::kStale;
    refused = absl::StrCat("it is of generation ", opened->generation, ", the registry's is ",
                           generation, " (an old value put back?)");
  }
  if (!refused.empty()) {
    Refusal audit;
    {
      absl::MutexLock lock(&mutex_);
      ++stats_.open_failures;
      audit = refusal_;
    }
    notice_(NoticeLevel::kTrouble, absl::StrCat("etcd tier: refused the value at ", key, " for ",
                                                index_url, ": ", refused, "; fetching it anew"));
    if (audit) audit(index_url, refused);
    return std::nullopt;
  }
  const absl::Time expires = absl::FromUnixMillis(opened->expires_unix_ms);
  const absl::Time usable_until = opened->session ? expires : expires - expiry_margin;
  if (usable_until - absl::Now() <= kMinLeft) {
    *why = Refused::kStale;
    absl::MutexLock lock(&mutex_);
    ++stats_.open_failures;
    return std::nullopt;  // Expired: etcd kept it past its lease; not news.
  }
  // Never operation-independent: the tier shares read tokens only, and a
  // publish must reach the backend. A `session` token goes back as expiring
  // when its shared copy does (plus the margin the cache takes off), so
  // that no machine keeps it in memory longer than etcd does.
  const int64_t margin = absl::ToInt64Seconds(absl::Ceil(expiry_margin, absl::Seconds(1)));
  return CredentialResponse::Get(
      std::move(opened->token),
      CacheControl::Expires(opened->session ? opened->expires_unix_ms / 1000 + margin
                                            : opened->expires_unix_ms / 1000),
      false);
}

bool EtcdTier::Invalidate(const std::string& index_url) {
  {
    absl::MutexLock lock(&mutex_);
    urls_[UrlDigest(index_url)] = index_url;
  }
  if (up_) {
    const absl::Status sent = SendInvalidation(index_url);
    if (sent.ok()) return true;
    MarkDown(sent);
  }
  {
    absl::MutexLock lock(&mutex_);
    pending_invalidations_.insert(index_url);
  }
  notice_(NoticeLevel::kTrouble, absl::StrCat("etcd tier down: the invalidation of ", index_url,
                                              " waits until the cluster answers"));
  return false;
}

bool EtcdTier::InvalidateAll() {
  std::vector<std::string> urls;
  {
    absl::MutexLock lock(&mutex_);
    for (const auto& [digest, url] : urls_) urls.push_back(url);
  }
  bool sent = true;
  for (const std::string& url : urls) sent = Invalidate(url) && sent;
  return sent;
}

absl::Status EtcdTier::SendInvalidation(const std::string& index_url) {
  etcdserverpb::TxnRequest txn;
  AddDelete(txn.mutable_success(),
            absl::StrCat(settings_.prefix, "token/", UrlDigest(index_url), "/"), true);
  AddPut(txn.mutable_success(), GenerationKey(index_url), absl::StrCat(kBumped, writer_), 0);
  return client_->Txn(txn).status();
}

void EtcdTier::Evict(const std::optional<std::string>& index_url) {
  Evictor evictor;
  std::vector<std::string> urls;
  {
    absl::MutexLock lock(&mutex_);
    evictor = evictor_;
    if (index_url.has_value()) {
      urls.push_back(*index_url);
    } else {
      for (const auto& [digest, url] : urls_) urls.push_back(url);
    }
    stats_.evictions += static_cast<int64_t>(urls.size());
  }
  if (!evictor) return;
  for (const std::string& url : urls) evictor(url);
}

absl::StatusOr<int64_t> EtcdTier::Resync() {
  etcdserverpb::RangeRequest range;
  range.set_key(settings_.prefix);
  range.set_range_end(PrefixEnd(settings_.prefix));
  range.set_count_only(true);
  absl::StatusOr<etcdserverpb::RangeResponse> read = client_->Range(range);
  if (!read.ok()) return read.status();
  Evict(std::nullopt);
  std::set<std::string> claims;
  {
    absl::MutexLock lock(&mutex_);
    claims.swap(pending_unclaims_);
  }
  if (!claims.empty()) {
    // Claims this daemon could not drop while the cluster was away: its
    // session lease may have lived on, and kept them.
    etcdserverpb::TxnRequest txn;
    for (const std::string& claim : claims) AddDelete(txn.mutable_success(), claim, false);
    absl::StatusOr<etcdserverpb::TxnResponse> dropped = client_->Txn(txn);
    if (!dropped.ok()) {
      absl::MutexLock lock(&mutex_);
      pending_unclaims_.insert(claims.begin(), claims.end());
      return dropped.status();
    }
  }
  std::set<std::string> pending;
  {
    absl::MutexLock lock(&mutex_);
    pending.swap(pending_invalidations_);
  }
  for (auto it = pending.begin(); it != pending.end(); ++it) {
    const absl::Status sent = SendInvalidation(*it);
    if (!sent.ok()) {
      absl::MutexLock lock(&mutex_);
      pending_invalidations_.insert(it, pending.end());
      return sent;
    }
  }
  return read->header().revision();
}

bool EtcdTier::OnWatch(const etcdserverpb::WatchResponse& response) {
  if (response.canceled()) {
    if (response.compact_revision() > 0) {
      notice_(NoticeLevel::kTrouble,
              absl::StrCat("etcd tier: the watch fell behind a compaction (revision ",
                           response.compact_revision(),
                           "): dropping the tier's tokens from memory and reading again"));
    }
    return false;
  }
  const std::string token_prefix = absl::StrCat(settings_.prefix, "token/");
  const std::string claim_prefix = absl::StrCat(settings_.prefix, "claim/");
  const std::string gen_prefix = absl::StrCat(settings_.prefix, "gen/");
  std::vector<std::string> evict;
  bool moved = false;
  {
    absl::MutexLock lock(&mutex_);
    for (const mvccpb::Event& event : response.events()) {
      const std::string& key = event.kv().key();
      const bool deleted = event.type() == mvccpb::Event::DELETE;
      std::string digest;
      if (absl::StartsWith(key, gen_prefix)) {
        // A generation made for a registry's first value voids nothing
        // (no value is served at generation 0); any other change does.
        if (!deleted && absl::StartsWith(event.kv().value(), kCreated)) continue;
        digest = key.substr(gen_prefix.size());
      } else if (absl::StartsWith(key, token_prefix)) {
        if (deleted) {
          digest = key.substr(token_prefix.size());
        } else {
          moved = true;
        }
      } else if (absl::StartsWith(key, claim_prefix) && deleted) {
        moved = true;
      }
      digest = digest.substr(0, digest.find('/'));
      if (digest.empty()) continue;
      auto it = urls_.find(digest);
      if (it != urls_.end()) evict.push_back(it->second);
    }
    if (response.header().revision() > status_.watch_revision) {
      status_.watch_revision = response.header().revision();
    }
    if (moved) ++events_;
  }
  for (const std::string& url : evict) Evict(url);
  return true;
}

bool EtcdTier::OnWatchResponse(const etcdserverpb::WatchResponse& response, int64_t from) {
  if (response.created() && !response.canceled()) {
    created_ = true;
    if (!up_.exchange(true)) {
      notice_(NoticeLevel::kProgress,
              absl::StrCat("etcd tier joined: the cluster at ",
                           absl::StrJoin(settings_.connection.endpoints, ","), ", watching ",
                           settings_.prefix, " from revision ", from));
    }
    absl::MutexLock lock(&stop_mutex_);
    first_try_done_ = true;
  }
  const bool keep = OnWatch(response);
  if (!keep && response.compact_revision() > 0) compacted_ = true;
  return keep;
}

void EtcdTier::WatchLoop() {
  absl::Duration backoff = absl::Milliseconds(100);
  bool resync = true;
  int64_t next = 0;
  auto pause = [&]() {
    absl::MutexLock lock(&stop_mutex_);
    first_try_done_ = true;
    stop_mutex_.AwaitWithTimeout(absl::Condition(&stop_), backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  };
  while (!stopping_) {
    if (resync) {
      absl::StatusOr<int64_t> revision = Resync();
      if (!revision.ok()) {
        MarkDown(revision.status());
        pause();
        continue;
      }
      next = *revision + 1;
      resync = false;
    }
    etcdserverpb::WatchCreateRequest create;
    create.set_key(settings_.prefix);
    create.set_range_end(PrefixEnd(settings_.prefix));
    create.set_start_revision(next);
    compacted_ = false;
    created_ = false;
    const int64_t from = next;
    absl::StatusOr<std::unique_ptr<EtcdWatch>> watch =
        client_->Watch(create, [this, from](const etcdserverpb::WatchResponse& response) {
          return OnWatchResponse(response, from);
        });
    if (!watch.ok()) {
      MarkDown(watch.status());
      resync = true;
      pause();
      continue;
    }
    {
      absl::MutexLock lock(&mutex_);
      watch_ = watch->get();
    }
    if (stopping_) (*watch)->Cancel();
    const absl::Status ended = (*watch)->Wait();
    {
      absl::MutexLock lock(&mutex_);
      watch_ = nullptr;
      if (status_.watch_revision >= next) next = status_.watch_revision + 1;
    }
    watch->reset();
    if (stopping_) break;
    if (compacted_) {
      resync = true;
      continue;
    }
    if (ended.code() == absl::StatusCode::kUnauthenticated) client_->Reauthenticate().IgnoreError();
    // A watch that never started: the cluster cannot be reached.
    if (!created_ && !ended.ok()) MarkDown(ended);
    // A stream that merely ended (a member went away) resumes where it
    // stopped; a tier marked down meanwhile reads everything again.
    if (!up_) resync = true;
    if (ended.code() != absl::StatusCode::kCancelled) {
      if (up_) backoff = absl::Milliseconds(100);
      pause();
    }
  }
}

void EtcdTier::UpkeepLoop() {
  while (true) {
    {
      absl::MutexLock lock(&stop_mutex_);
      if (stop_mutex_.AwaitWithTimeout(absl::Condition(&stop_), kUpkeepEvery)) return;
    }
    if (!up_) continue;  // The watch thread brings it back.
    int64_t lease;
    {
      absl::MutexLock lock(&mutex_);
      lease = session_lease_;
    }
    if (lease != 0) {
      absl::StatusOr<int64_t> kept = client_->KeepAlive(lease);
      if (kept.status().code() == absl::StatusCode::kNotFound) {
        absl::MutexLock lock(&mutex_);
        if (session_lease_ == lease) session_lease_ = 0;
      } else if (!kept.ok()) {
        MarkDown(kept.status());
        continue;
      }
    }
    absl::StatusOr<etcdserverpb::StatusResponse> member = client_->MemberStatus();
    if (!member.ok()) {
      MarkDown(member.status());
      continue;
    }
    absl::MutexLock lock(&mutex_);
    status_.leader = member->leader();
  }
}

EtcdTierStatus EtcdTier::Status() const {
  absl::MutexLock lock(&mutex_);
  EtcdTierStatus status = status_;
  status.up = up_.load();
  return status;
}

EtcdTierStats EtcdTier::Stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

EtcdTierStats EtcdTier::StatsAndReset() {
  absl::MutexLock lock(&mutex_);
  const EtcdTierStats taken = stats_;
  stats_ = EtcdTierStats();
  return taken;
}

}  // namespace credcache
