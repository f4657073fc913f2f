#include "backends/libsecret_backend.h"

#include <libsecret/secret.h>

#include "absl/strings/str_cat.h"
#include "lib/error.h"
#include "lib/secret.h"

namespace credcache {
namespace {

using cargo_credential::ActionKind;
using cargo_credential::CredentialResponse;

// cargo's schema. Matching on `url` alone (DONT_MATCH_NAME) also finds items
// stored without the schema name, such as by `secret-tool store`.
const SecretSchema* CargoSchema() {
  static const SecretSchema schema = {
      "org.rust-lang.cargo.registry",
      SECRET_SCHEMA_NONE,
      {{"url", SECRET_SCHEMA_ATTRIBUTE_STRING}, {nullptr, SECRET_SCHEMA_ATTRIBUTE_STRING}}};
  return &schema;
}

const SecretSchema* LookupSchema() {
  static const SecretSchema schema = {
      "org.rust-lang.cargo.registry",
      SECRET_SCHEMA_DONT_MATCH_NAME,
      {{"url", SECRET_SCHEMA_ATTRIBUTE_STRING}, {nullptr, SECRET_SCHEMA_ATTRIBUTE_STRING}}};
  return &schema;
}

// Owns a GError and turns it into the right protocol error.
class Error {
 public:
  ~Error() {
    if (error_ != nullptr) g_error_free(error_);
  }
  GError** out() { return &error_; }
  bool failed() const { return error_ != nullptr; }

  // No service, or a locked one, lets the next backend try; anything else
  // is this backend's failure.
  absl::Status ToStatus(absl::string_view doing) const {
    const std::string message = error_->message != nullptr ? error_->message : "unknown error";
    const bool unavailable = error_->domain == G_DBUS_ERROR || error_->domain == G_IO_ERROR ||
                             g_error_matches(error_, SECRET_ERROR, SECRET_ERROR_IS_LOCKED) ||
                             g_error_matches(error_, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT);
    if (unavailable) {
      return cargo_credential::UrlNotSupportedError(
          absl::StrCat("the Secret Service is not available: ", message));
    }
    return cargo_credential::OtherError(absl::StrCat("Secret Service: cannot ", doing), {message});
  }

 private:
  GError* error_ = nullptr;
};

// Whether the collection new items go to is locked. A lookup in a locked
// collection finds nothing, without an error, once unlocking failed (no
// prompter on a headless box), so "not found" alone would be a lie.
bool DefaultCollectionLocked() {
  Error error;
  SecretService* service = secret_service_get_sync(SECRET_SERVICE_NONE, nullptr, error.out());
  if (error.failed()) return false;
  SecretCollection* collection = secret_collection_for_alias_sync(
      service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, nullptr, error.out());
  const bool locked =
      !error.failed() && collection != nullptr && secret_collection_get_locked(collection);
  if (collection != nullptr) g_object_unref(collection);
  g_object_unref(service);
  return locked;
}

absl::Status LockedError() {
  return cargo_credential::UrlNotSupportedError(
      "the keyring's default collection is locked; unlock it (log in to the desktop, or "
      "`gnome-keyring-daemon --unlock` with its password on stdin)");
}

}  // namespace

absl::StatusOr<CredentialResponse> LibsecretBackend::Perform(
    const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
    const std::vector<std::string>& args) {
  const char* url = registry.index_url.c_str();
  Error error;
  switch (action.kind) {
    case ActionKind::kGet: {
      gchar* token =
          secret_password_lookup_sync(LookupSchema(), nullptr, error.out(), "url", url, nullptr);
      if (error.failed()) return error.ToStatus("look up the token");
      if (token == nullptr) {
        return DefaultCollectionLocked() ? LockedError() : cargo_credential::NotFoundError();
      }
      cargo_credential::Secret secret{absl::string_view(token)};
      secret_password_free(token);  // Wipes it.
      return CredentialResponse::Get(std::move(secret), cargo_credential::CacheControl::Session(),
                                     /*operation_independent=*/true);
    }
    case ActionKind::kLogin: {
      if (!action.login.token.has_value()) {
        return cargo_credential::OtherError("a login needs a token");
      }
      const std::string label =
          absl::StrCat("cargo-registry:", registry.name.value_or(registry.index_url));
      secret_password_store_sync(CargoSchema(), SECRET_COLLECTION_DEFAULT, label.c_str(),
                                 action.login.token->Expose().c_str(), nullptr, error.out(), "url",
                                 url, nullptr);
      if (error.failed()) {
        return DefaultCollectionLocked() ? LockedError() : error.ToStatus("store the token");
      }
      return CredentialResponse::Login();
    }
    case ActionKind::kLogout: {
      const gboolean removed =
          secret_password_clear_sync(LookupSchema(), nullptr, error.out(), "url", url, nullptr);
      if (error.failed()) return error.ToStatus("erase the token");
      if (!removed) {
        return DefaultCollectionLocked() ? LockedError() : cargo_credential::NotFoundError();
      }
      return CredentialResponse::Logout();
    }
    case ActionKind::kUnknown:
      break;
  }
  return cargo_credential::OperationNotSupportedError();
}

absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> MakeLibsecretBackend(
    const BackendOptions& options) {
  return std::unique_ptr<cargo_credential::Credential>(new LibsecretBackend());
}

absl::Status ProbeSecretService() {
  Error error;
  SecretService* service = secret_service_get_sync(SECRET_SERVICE_NONE, nullptr, error.out());
  if (error.failed()) return error.ToStatus("connect");
  g_object_unref(service);
  return absl::OkStatus();
}

}  // namespace credcache
