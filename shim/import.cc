#include "shim/import.h"

#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/location.h"
#include "common/paths.h"
#include "lib/error.h"
#include "lib/private_file.h"
#include "lib/user_text.h"
#include "lib/utf8.h"
#include "nlohmann/json.hpp"
#include "proto/convert.h"
#include "proto/messages.h"
#include "shim/command_line.h"
#include "shim/daemon_client.h"
#include "toml++/toml.h"

namespace credcache {
namespace {

constexpr char kProgram[] = "cargo-credential-credcache";

absl::StatusOr<toml::table> Parse(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& error) {
    // Position only: the file holds tokens, and parse messages quote text.
    return absl::InvalidArgumentError(
        absl::StrCat(Location(source, error.source().begin), ": not valid TOML"));
  }
}

// cargo's CARGO_REGISTRIES_<NAME>_<KEY> spelling of a registry's setting.
std::string RegistryVariable(const std::string& name, const std::string& key) {
  return absl::StrCat("CARGO_REGISTRIES_",
                      absl::AsciiStrToUpper(absl::StrReplaceAll(name, {{"-", "_"}})), "_", key);
}

std::string IndexVariable(const std::string& name) { return RegistryVariable(name, "INDEX"); }

std::string IndexOf(const std::string& name, const toml::table& config) {
  if (const char* env = getenv(IndexVariable(name).c_str())) return env;
  if (auto index = config["registries"][name]["index"].value<std::string>()) return *index;
  return "";
}

std::string CargoHome(const ImportOptions& options) {
  if (!options.cargo_home.empty()) return options.cargo_home;
  const char* env = getenv("CARGO_HOME");
  if (env != nullptr && env[0] != '\0') return env;
  return HomeDirectory() + "/.cargo";
}

// cargo reads `NAME.toml`, or the legacy `NAME` when that is missing.
std::vector<std::string> CargoFileNames(const std::string& cargo_home, const std::string& name) {
  return {absl::StrCat(cargo_home, "/", name, ".toml"), absl::StrCat(cargo_home, "/", name)};
}

// credentials.toml holds tokens: it is read only when private. Sets `path`
// to the file read, left empty when there is none.
absl::StatusOr<std::string> ReadCredentials(const std::string& cargo_home, std::string* path) {
  for (const std::string& candidate : CargoFileNames(cargo_home, "credentials")) {
    absl::StatusOr<std::optional<std::string>> text = cargo_credential::ReadPrivateFile(candidate);
    if (!text.ok()) return text.status();
    if (text->has_value()) {
      *path = candidate;
      return **std::move(text);
    }
  }
  return std::string();
}

std::string ReadConfig(const std::string& cargo_home) {
  for (const std::string& candidate : CargoFileNames(cargo_home, "config")) {
    std::ifstream in(candidate);
    if (!in) continue;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  return "";
}

// A provider's words as cargo reads a setting: an array is its words; a
// string is split on spaces.
std::vector<std::string> Words(const toml::node* node) {
  std::vector<std::string> words;
  if (node == nullptr) return words;
  if (const toml::array* array = node->as_array()) {
    for (const toml::node& each : *array) {
      if (auto word = each.value<std::string>()) words.push_back(*word);
    }
  } else if (auto text = node->value<std::string>()) {
    words = absl::StrSplit(*text, ' ', absl::SkipEmpty());
  }
  return words;
}

// Whether the provider `words` (cargo's spelling of one, an alias resolved
// through `[credential-alias]`) runs cargo-credential-credcache.
bool IsCredcache(std::vector<std::string> words, const toml::table& config) {
  if (words.size() == 1) {
    const std::string alias_variable =
        absl::StrCat("CARGO_CREDENTIAL_ALIAS_",
                     absl::AsciiStrToUpper(absl::StrReplaceAll(words[0], {{"-", "_"}})));
    if (const char* env = getenv(alias_variable.c_str())) {
      words = absl::StrSplit(env, ' ', absl::SkipEmpty());
    } else if (const toml::node* alias = config["credential-alias"][words[0]].node()) {
      words = Words(alias);
    }
  }
  if (words.empty()) return false;
  const size_t slash = words[0].rfind('/');
  return words[0].substr(slash == std::string::npos ? 0 : slash + 1) ==
         "cargo-credential-credcache";
}

// ---- Index URLs as cargo spells them (the url crate, WHATWG's standard) ----

constexpr absl::string_view kSpecialSchemes[] = {"http", "https", "ws", "wss", "ftp", "file"};

int DefaultPort(absl::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return 80;
  if (scheme == "https" || scheme == "wss") return 443;
  if (scheme == "ftp") return 21;
  return -1;
}

absl::Status BadUrl(absl::string_view index, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("cargo refuses index `", index, "`: ", why));
}

// The percent-encode sets of the URL standard, by the byte.
bool InC0ControlSet(unsigned char c) { return c < 0x20 || c > 0x7e; }
bool InFragmentSet(unsigned char c) {
  return InC0ControlSet(c) || c == ' ' || c == '"' || c == '<' || c == '>' || c == '`';
}
bool InQuerySet(unsigned char c) {
  return InC0ControlSet(c) || c == ' ' || c == '"' || c == '#' || c == '<' || c == '>';
}
bool InSpecialQuerySet(unsigned char c) { return InQuerySet(c) || c == '\''; }
bool InPathSet(unsigned char c) {
  return InQuerySet(c) || c == '?' || c == '`' || c == '{' || c == '}';
}
bool InUserinfoSet(unsigned char c) {
  return InPathSet(c) || c == '/' || c == ':' || c == ';' || c == '=' || c == '@' ||
         (c >= '[' && c <= '^') || c == '|';
}

std::string PercentEncode(absl::string_view text, bool (*in_set)(unsigned char)) {
  std::string out;
  for (const char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (in_set(byte)) {
      absl::StrAppendFormat(&out, "%%%02X", byte);
    } else {
      out += c;
    }
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX sequences decoded; a `%` that starts none stays.
std::string PercentDecode(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// An IPv6 address's eight pieces, as the standard's parser reads them
// (`::` and a dotted IPv4 tail included).
std::optional<std::array<uint16_t, 8>> ParseIpv6(absl::string_view text) {
  std::array<uint16_t, 8> pieces{};
  int piece = 0;
  int compress = -1;
  size_t p = 0;
  const auto at = [&](size_t i) { return i < text.size() ? text[i] : '\0'; };
  if (at(p) == ':') {
    if (at(p + 1) != ':') return std::nullopt;
    p += 2;
    compress = ++piece;
  }
  while (p < text.size()) {
    if (piece == 8) return std::nullopt;
    if (at(p) == ':') {
      if (compress != -1) return std::nullopt;
      ++p;
      compress = ++piece;
      continue;
    }
    int value = 0;
    int length = 0;
    while (length < 4 && HexValue(at(p)) >= 0) {
      value = value * 16 + HexValue(at(p));
      ++p;
      ++length;
    }
    if (at(p) == '.') {
      if (length == 0 || piece > 6) return std::nullopt;
      p -= length;
      int numbers = 0;
      while (p < text.size()) {
        int part = -1;
        if (numbers > 0) {
          if (at(p) != '.' || numbers >= 4) return std::nullopt;
          ++p;
        }
        if (!absl::ascii_isdigit(at(p))) return std::nullopt;
        while (absl::ascii_isdigit(at(p))) {
          const int digit = at(p) - '0';
          if (part == 0) return std::nullopt;  // No leading zeros.
          part = part == -1 ? digit : part * 10 + digit;
          if (part > 255) return std::nullopt;
          ++p;
        }
        pieces[piece] = static_cast<uint16_t>(pieces[piece] * 0x100 + part);
        ++numbers;
        if (numbers == 2 || numbers == 4) ++piece;
      }
      if (numbers != 4) return std::nullopt;
      break;
    }
    if (at(p) == ':') {
      ++p;
      if (p >= text.size()) return std::nullopt;
    } else if (p < text.size()) {
      return std::nullopt;
    }
    pieces[piece++] = static_cast<uint16_t>(value);
  }
  if (compress != -1) {
    int swaps = piece - compress;
    piece = 7;
    while (piece != 0 && swaps > 0) {
      std::swap(pieces[piece], pieces[compress + swaps - 1]);
      --piece;
      --swaps;
    }
  } else if (piece != 8) {
    return std::nullopt;
  }
  return pieces;
}

// "[...]" as the standard writes it: lowercase hex, no leading zeros, the
// first longest run of two or more zero pieces as `::`.
std::string SerializeIpv6(const std::array<uint16_t, 8>& pieces) {
  int compress = -1;
  int longest = 1;
  for (int i = 0; i < 8;) {
    int run = 0;
    while (i + run < 8 && pieces[i + run] == 0) ++run;
    if (run > longest) {
      longest = run;
      compress = i;
    }
    i += run > 0 ? run : 1;
  }
  std::string out = "[";
  bool skipping = false;
  for (int i = 0; i < 8; ++i) {
    if (skipping && pieces[i] == 0) continue;
    skipping = false;
    if (i == compress) {
      out += i == 0 ? "::" : ":";
      skipping = true;
      continue;
    }
    absl::StrAppendFormat(&out, "%x", pieces[i]);
    if (i != 7) out += ':';
  }
  return out + "]";
}

// One part of an IPv4 address in the standard's forms: decimal, 0x hex,
// 0 octal.
std::optional<uint64_t> ParseIpv4Number(absl::string_view part) {
  if (part.empty()) return std::nullopt;
  int radix = 10;
  if (part.size() >= 2 && (absl::StartsWith(part, "0x") || absl::StartsWith(part, "0X"))) {
    radix = 16;
    part.remove_prefix(2);
  } else if (part.size() >= 2 && part[0] == '0') {
    radix = 8;
    part.remove_prefix(1);
  }
  uint64_t value = 0;
  for (const char c : part) {
    const int digit = HexValue(c);
    if (digit < 0 || digit >= radix) return std::nullopt;
    value = value * radix + digit;
    if (value > 0xffffffffull) value = 0x100000000ull;  // Too big either way; no overflow.
  }
  return value;
}

// A special URL's host whose last label is a number is an IPv4 address
// (and an error when it is not a good one), written dotted.
absl::StatusOr<std::optional<std::string>> Ipv4Host(absl::string_view host) {
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.back().empty()) {
    if (parts.size() == 1) return std::nullopt;
    parts.pop_back();
  }
  const absl::string_view last = parts.back();
  const bool ends_in_number =
      (!last.empty() && std::all_of(last.begin(), last.end(), absl::ascii_isdigit)) ||
      ParseIpv4Number(last).has_value();
  if (!ends_in_number) return std::nullopt;
  const absl::Status bad = absl::InvalidArgumentError("invalid IPv4 address");
  if (parts.size() > 4) return bad;
  std::vector<uint64_t> numbers;
  for (const absl::string_view part : parts) {
    const std::optional<uint64_t> number = ParseIpv4Number(part);
    if (!number.has_value()) return bad;
    numbers.push_back(*number);
  }
  for (size_t i = 0; i + 1 < numbers.size(); ++i) {
    if (numbers[i] > 255) return bad;
  }
  if (numbers.back() >= (1ull << (8 * (5 - numbers.size())))) return bad;
  uint64_t address = numbers.back();
  for (size_t i = 0; i + 1 < numbers.size(); ++i) address += numbers[i] << (8 * (3 - i));
  return absl::StrCat(address >> 24, ".", (address >> 16) & 0xff, ".", (address >> 8) & 0xff, ".",
                      address & 0xff);
}

// The code points of well-formed UTF-8 `text`.
std::vector<uint32_t> CodePoints(absl::string_view text) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < text.size();) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    const int length = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    uint32_t point = length == 1 ? lead : lead & (0x7f >> length);
    for (int k = 1; k < length; ++k) point = point << 6 | (text[i + k] & 0x3f);
    out.push_back(point);
    i += length;
  }
  return out;
}

// Lowercase as UTS #46 maps the letters of the scripts registry hosts are
// most likely written in; other code points are taken as written.
uint32_t Lowercase(uint32_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7)) return c + 0x20;
  if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) return c | 1;
  if (c >= 0x139 && c <= 0x148 && c % 2 == 1) return c + 1;
  if ((c >= 0x391 && c <= 0x3a9 && c != 0x3a2) || (c >= 0x410 && c <= 0x42f)) return c + 0x20;
  if (c >= 0x400 && c <= 0x40f) return c + 0x50;
  return c;
}

// RFC 3492's Punycode of one label's code points.
std::string Punycode(const std::vector<uint32_t>& input) {
  constexpr uint32_t kBase = 36, kTMin = 1, kTMax = 26, kSkew = 38, kDamp = 700;
  const auto digit = [](uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + d - 26); };
  const auto adapt = [&](uint32_t delta, uint32_t points, bool first) {
    delta = first ? delta / kDamp : delta / 2;
    delta += delta / points;
    uint32_t k = 0;
    while (delta > ((kBase - kTMin) * kTMax) / 2) {
      delta /= kBase - kTMin;
      k += kBase;
    }
    return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
  };
  std::string out;
  for (const uint32_t c : input) {
    if (c < 0x80) out += static_cast<char>(c);
  }
  const uint32_t basic = out.size();
  uint32_t handled = basic;
  if (basic > 0) out += '-';
  uint32_t n = 0x80, delta = 0, bias = 72;
  while (handled < input.size()) {
    uint32_t next = UINT32_MAX;
    for (const uint32_t c : input) {
      if (c >= n && c < next) next = c;
    }
    delta += (next - n) * (handled + 1);
    n = next;
    for (const uint32_t c : input) {
      if (c < n) ++delta;
      if (c != n) continue;
      uint32_t q = delta;
      for (uint32_t k = kBase;; k += kBase) {
        const uint32_t t = k <= bias ? kTMin : k >= bias + kTMax ? kTMax : k - bias;
        if (q < t) break;
        out += digit(t + (q - t) % (kBase - t));
        q = (q - t) / (kBase - t);
      }
      out += digit(q);
      bias = adapt(delta, handled + 1, handled == basic);
      delta = 0;
      ++handled;
    }
    ++delta;
    ++n;
  }
  return out;
}

// A special URL's host: a domain (percent-decoded, lowercased, `xn--` for
// an international label) or an IPv4 or IPv6 address.
absl::StatusOr<std::string> SpecialHost(absl::string_view host) {
  if (absl::StartsWith(host, "[")) {
    if (!absl::EndsWith(host, "]")) return absl::InvalidArgumentError("invalid IPv6 address");
    std::optional<std::array<uint16_t, 8>> pieces = ParseIpv6(host.substr(1, host.size() - 2));
    if (!pieces.has_value()) return absl::InvalidArgumentError("invalid IPv6 address");
    return SerializeIpv6(*pieces);
  }
  const std::string decoded = PercentDecode(host);
  if (decoded.empty()) return absl::InvalidArgumentError("empty host");
  if (!cargo_credential::IsUtf8(decoded)) return absl::InvalidArgumentError("invalid host");
  std::vector<std::string> labels;
  for (const absl::string_view label : absl::StrSplit(decoded, '.')) {
    std::vector<uint32_t> points = CodePoints(label);
    bool ascii = true;
    for (uint32_t& c : points) {
      c = Lowercase(c);
      ascii = ascii && c < 0x80;
      if (c <= 0x20 || c == 0x7f ||
          (c < 0x80 && absl::string_view("#%/:<>?@[\\]^|").find(static_cast<char>(c)) !=
                           absl::string_view::npos)) {
        return absl::InvalidArgumentError("invalid domain character");
      }
    }
    labels.push_back(ascii ? std::string(points.begin(), points.end())
                           : absl::StrCat("xn--", Punycode(points)));
  }
  const std::string domain = absl::StrJoin(labels, ".");
  absl::StatusOr<std::optional<std::string>> ipv4 = Ipv4Host(domain);
  if (!ipv4.ok()) return ipv4.status();
  return ipv4->has_value() ? **ipv4 : domain;
}

// The host of a URL of any other scheme (`sparse+https`): opaque to the url
// crate, so kept as written, but for an IPv6 address and percent-encoding.
absl::StatusOr<std::string> OpaqueHost(absl::string_view host) {
  if (absl::StartsWith(host, "[")) return SpecialHost(host);
  for (const char c : host) {
    if (c == '\0' || c == '\t' || c == '\n' || c == '\r' ||
        absl::string_view(" #/:<>?@[\\]^|").find(c) != absl::string_view::npos) {
      return absl::InvalidArgumentError("invalid domain character");
    }
  }
  return PercentEncode(host, InC0ControlSet);
}

bool IsSingleDot(absl::string_view segment) {
  return segment == "." || absl::EqualsIgnoreCase(segment, "%2e");
}
bool IsDoubleDot(absl::string_view segment) {
  return segment == ".." || absl::EqualsIgnoreCase(segment, ".%2e") ||
         absl::EqualsIgnoreCase(segment, "%2e.") || absl::EqualsIgnoreCase(segment, "%2e%2e");
}

// A path that starts with a separator, its `.` and `..` segments resolved.
std::string Path(absl::string_view path, bool special) {
  std::vector<std::string> segments;
  const auto separator = [special](char c) { return c == '/' || (special && c == '\\'); };
  size_t start = 1;  // Past the leading separator.
  for (size_t i = 1; i <= path.size(); ++i) {
    const bool at_end = i == path.size();
    if (!at_end && !separator(path[i])) continue;
    const absl::string_view segment = path.substr(start, i - start);
    if (IsDoubleDot(segment)) {
      if (!segments.empty()) segments.pop_back();
      if (at_end) segments.emplace_back();
    } else if (IsSingleDot(segment)) {
      if (at_end) segments.emplace_back();
    } else {
      segments.push_back(PercentEncode(segment, InPathSet));
    }
    start = i + 1;
  }
  std::string out;
  for (const std::string& segment : segments) absl::StrAppend(&out, "/", segment);
  return out;
}

}  // namespace

absl::StatusOr<std::string> CargoIndexUrl(absl::string_view index) {
  // Leading and trailing spaces and controls go, tabs and newlines anywhere.
  std::string input;
  for (const char c : index) {
    if (c != '\t' && c != '\n' && c != '\r') input += c;
  }
  while (!input.empty() && static_cast<unsigned char>(input.front()) <= 0x20) input.erase(0, 1);
  while (!input.empty() && static_cast<unsigned char>(input.back()) <= 0x20) input.pop_back();

  const size_t colon = input.find(':');
  if (colon == std::string::npos || colon == 0 || !absl::ascii_isalpha(input[0]) ||
      !std::all_of(input.begin(), input.begin() + colon, [](char c) {
        return absl::ascii_isalnum(c) || c == '+' || c == '-' || c == '.';
      })) {
    return BadUrl(index, "it is not a URL (no scheme, such as sparse+https:)");
  }
  const std::string scheme = absl::AsciiStrToLower(input.substr(0, colon));
  const bool special = absl::c_linear_search(kSpecialSchemes, scheme);
  absl::string_view rest = absl::string_view(input).substr(colon + 1);
  const auto separator = [special](char c) { return c == '/' || (special && c == '\\'); };

  std::string authority_text;
  bool has_authority = false;
  if (special && scheme != "file") {
    // http:host, http:/host and http:\\\\host are all http://host.
    while (!rest.empty() && separator(rest.front())) rest.remove_prefix(1);
    has_authority = true;
  } else if (rest.size() >= 2 && separator(rest[0]) && separator(rest[1])) {
    rest.remove_prefix(2);
    has_authority = true;
  } else if (!special && (rest.empty() || rest.front() != '/')) {
    return BadUrl(index, "it has no host (cannot-be-a-base URL)");
  }
  std::string out = absl::StrCat(scheme, ":");
  if (has_authority) {
    size_t end = 0;
    while (end < rest.size() && !separator(rest[end]) && rest[end] != '?' && rest[end] != '#') {
      ++end;
    }
    absl::string_view authority = rest.substr(0, end);
    rest.remove_prefix(end);
    std::string userinfo;
    if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
      const absl::string_view credentials = authority.substr(0, at);
      authority.remove_prefix(at + 1);
      const size_t split = credentials.find(':');
      if (split != absl::string_view::npos && split + 1 < credentials.size()) {
        return BadUrl(index, "registry URLs may not contain passwords");
      }
      const std::string user = PercentEncode(credentials.substr(0, split), InUserinfoSet);
      if (!user.empty()) userinfo = user + "@";
    }
    absl::string_view host = authority;
    absl::string_view port;
    const size_t bracket = authority.find(']');
    const size_t port_colon = authority.find(
        ':', absl::StartsWith(authority, "[") && bracket != absl::string_view::npos ? bracket : 0);
    if (port_colon != absl::string_view::npos) {
      host = authority.substr(0, port_colon);
      port = authority.substr(port_colon + 1);
    }
    if (scheme == "file") {
      if (!userinfo.empty() || port_colon != absl::string_view::npos) {
        return BadUrl(index, "a file URL has no user or port");
      }
      if (!host.empty()) {
        absl::StatusOr<std::string> parsed = SpecialHost(host);
        if (!parsed.ok()) return BadUrl(index, parsed.status().message());
        absl::StrAppend(&out, "//", *parsed == "localhost" ? "" : *parsed);
      } else {
        out += "//";
      }
    } else {
      if (special && host.empty()) return BadUrl(index, "empty host");
      absl::StatusOr<std::string> parsed = special ? SpecialHost(host) : OpaqueHost(host);
      if (!parsed.ok()) return BadUrl(index, parsed.status().message());
      absl::StrAppend(&out, "//", userinfo, *parsed);
      if (!port.empty()) {
        uint64_t number = 0;
        for (const char c : port) {
          if (!absl::ascii_isdigit(c)) return BadUrl(index, "invalid port number");
          number = std::min<uint64_t>(number * 10 + (c - '0'), 1 << 20);
        }
        if (number > 65535) return BadUrl(index, "invalid port number");
        if (static_cast<int>(number) != DefaultPort(scheme)) absl::StrAppend(&out, ":", number);
      }
    }
  } else if (scheme == "file") {
    out += "//";
  }

  const size_t path_end = std::min(rest.find('?'), rest.find('#'));
  const absl::string_view path = rest.substr(0, path_end);
  rest.remove_prefix(path_end == absl::string_view::npos ? rest.size() : path_end);
  if (special) {
    // A special URL's path is never empty: `https://host` is `https://host/`.
    const std::string rooted =
        !path.empty() && separator(path.front()) ? std::string(path) : absl::StrCat("/", path);
    out += Path(rooted, true);
  } else if (!path.empty()) {
    out += Path(path, false);
  }
  if (absl::StartsWith(rest, "?")) {
    const size_t hash = rest.find('#');
    absl::StrAppend(
        &out, "?",
        PercentEncode(rest.substr(1, hash == absl::string_view::npos ? rest.npos : hash - 1),
                      special ? InSpecialQuerySet : InQuerySet));
    rest.remove_prefix(hash == absl::string_view::npos ? rest.size() : hash);
  }
  if (absl::StartsWith(rest, "#")) {
    absl::StrAppend(&out, "#", PercentEncode(rest.substr(1), InFragmentSet));
  }

  if (absl::StartsWith(out, "sparse+") && !absl::EndsWith(out, "/")) {
    return BadUrl(index, "a sparse registry's index URL must end in a slash `/`");
  }
  return out;
}

absl::StatusOr<std::vector<CargoToken>> ParseCargoCredentials(const std::string& credentials,
                                                              const std::string& config,
                                                              const std::string& source) {
  absl::StatusOr<toml::table> tokens = Parse(credentials, source);
  if (!tokens.ok()) return tokens.status();
  absl::StatusOr<toml::table> settings = Parse(config, "config.toml");
  if (!settings.ok()) return settings.status();
  std::vector<CargoToken> out;
  if (auto token = (*tokens)["registry"]["token"].value<std::string>()) {
    out.push_back({"crates-io", kCratesIoIndex, kCratesIoIndex, "",
                   cargo_credential::Secret(std::move(*token))});
  }
  if (const toml::table* registries = (*tokens)["registries"].as_table()) {
    for (auto&& [key, node] : *registries) {
      const std::string name(key.str());
      auto token = node.as_table() != nullptr ? (*node.as_table())["token"].value<std::string>()
                                              : std::optional<std::string>();
      if (!token.has_value()) continue;  // A secret-key, say: not a token.
      CargoToken entry{name, "", IndexOf(name, *settings), "",
                       cargo_credential::Secret(std::move(*token))};
      if (!entry.configured_index.empty()) {
        absl::StatusOr<std::string> url = CargoIndexUrl(entry.configured_index);
        if (url.ok()) {
          entry.index_url = *std::move(url);
        } else {
          entry.index_error = std::string(url.status().message());
        }
      }
      out.push_back(std::move(entry));
    }
  }
  return out;
}

bool CargoAsksCredcache(const std::string& config, const std::string& name) {
  absl::StatusOr<toml::table> settings = Parse(config, "config.toml");
  if (!settings.ok()) return false;
  // A registry's own provider is the only one cargo asks for it.
  const std::string own_variable = name == "crates-io"
                                       ? "CARGO_REGISTRY_CREDENTIAL_PROVIDER"
                                       : RegistryVariable(name, "CREDENTIAL_PROVIDER");
  if (const char* env = getenv(own_variable.c_str()); env != nullptr && env[0] != '\0') {
    return IsCredcache(absl::StrSplit(env, ' ', absl::SkipEmpty()), *settings);
  }
  const toml::node* own = name == "crates-io"
                              ? (*settings)["registry"]["credential-provider"].node()
                              : (*settings)["registries"][name]["credential-provider"].node();
  if (own != nullptr) return IsCredcache(Words(own), *settings);
  std::vector<std::vector<std::string>> global;
  if (const char* env = getenv("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS");
      env != nullptr && env[0] != '\0') {
    // An environment list is split on spaces: each word is a provider.
    for (absl::string_view word : absl::StrSplit(env, ' ', absl::SkipEmpty())) {
      global.push_back({std::string(word)});
    }
  } else if (const toml::array* list =
                 (*settings)["registry"]["global-credential-providers"].as_array()) {
    for (const toml::node& each : *list) global.push_back(Words(&each));
  }
  return absl::c_any_of(global, [&](const std::vector<std::string>& provider) {
    return IsCredcache(provider, *settings);
  });
}

absl::StatusOr<std::string> RemoveCargoTokens(const std::string& credentials,
                                              const std::vector<std::string>& names) {
  absl::StatusOr<toml::table> tokens = Parse(credentials, "credentials.toml");
  if (!tokens.ok()) return tokens.status();
  for (const std::string& name : names) {
    toml::table* table = name == "crates-io" ? (*tokens)["registry"].as_table()
                                             : (*tokens)["registries"][name].as_table();
    if (table == nullptr) continue;
    table->erase("token");
  }
  if (toml::table* registries = (*tokens)["registries"].as_table()) {
    for (auto it = registries->begin(); it != registries->end();) {
      const toml::table* table = it->second.as_table();
      it = table != nullptr && table->empty() ? registries->erase(it) : std::next(it);
    }
    if (registries->empty()) tokens->erase("registries");
  }
  if (const toml::table* registry = (*tokens)["registry"].as_table();
      registry != nullptr && registry->empty()) {
    tokens->erase("registry");
  }
  std::ostringstream text;
  text << *tokens;
  return tokens->empty() ? std::string() : text.str() + "\n";
}

namespace {

// One reason some registries were not imported, said once for all of them.
struct Failure {
  std::string error;
  std::vector<std::string> caused_by;
  std::string hint;
  std::vector<const CargoToken*> registries;
};

// What a refused login means, in words. The daemon answers a backend that
// stores no tokens, or serves no such registry, with the protocol's bare
// kinds (cargo has its own text for them, so they carry none): said plainly
// here, with what to do.
Failure Explain(const absl::Status& status, const std::string& backend) {
  const std::string message(status.message());
  const std::string status_command = absl::StrCat("`", kProgram, " status`");
  switch (cargo_credential::KindOf(status)) {
    case cargo_credential::ErrorKind::kOperationNotSupported:
      return {backend.empty()
                  ? "no backend credcache asks for this registry stores tokens (env and "
                    "command backends only read them)"
                  : absl::StrCat("backend `", backend,
                                 "` does not store tokens (env and command backends only read "
                                 "them)"),
              {},
              absl::StrCat(status_command,
                           " lists the backends; import --backend NAME puts the tokens into "
                           "one that stores them (file, libsecret, cargo-provider)"),
              {}};
    case cargo_credential::ErrorKind::kUrlNotSupported:
      return {backend.empty()
                  ? "no credcache backend serves this registry"
                  : absl::StrCat("backend `", backend, "` does not serve this registry"),
              {},
              absl::StrCat("a backend's index_urls and names in credcached's config choose "
                           "the registries it serves; ",
                           status_command, " shows them"),
              {}};
    default:
      return {message.empty()
                  ? std::string(cargo_credential::DefaultMessage(cargo_credential::KindOf(status)))
                  : message,
              cargo_credential::CausedBy(status),
              "",
              {}};
  }
}

std::string Describe(const CargoToken& entry) {
  return entry.configured_index.empty() || entry.configured_index == entry.index_url
             ? absl::StrCat(entry.name, " (", entry.index_url, ")")
             : absl::StrCat(entry.name, " (", entry.index_url, ", which cargo makes of ",
                            entry.configured_index, ")");
}

nlohmann::ordered_json RegistryJson(const CargoToken& entry) {
  return {{"name", entry.name}, {"index_url", entry.index_url}};
}

// Logs `entry`'s token in through the daemon. OK, or why not; `reached`
// says whether that is the daemon's answer or the failure to get one.
absl::Status LogIn(const ImportOptions& options, const CargoToken& entry, bool* reached) {
  cargo_credential::CredentialRequest login;
  login.registry = {entry.index_url, entry.name, {}};
  login.action.kind = cargo_credential::ActionKind::kLogin;
  login.action.login.token = entry.token.Clone();
  v1::PerformRequest request;
  *request.mutable_request() = ToProto(login);
  request.set_backend(options.backend);
  v1::PerformResponse response;
  const absl::Status status =
      CallDaemon(options.connect, "Perform", request, &response, absl::Seconds(60));
  cargo_credential::WipeString(
      *request.mutable_request()->mutable_action()->mutable_login()->mutable_token());
  cargo_credential::TellUser(response.user_text());
  *reached = status.ok();
  if (!status.ok()) return status;
  absl::StatusOr<cargo_credential::CredentialResponse> result = ResultFromProto(&response);
  return result.status();
}

}  // namespace

int RunImport(const ImportOptions& options) {
  const std::string cargo_home = CargoHome(options);
  // What went wrong before any token was read: said once, as JSON too.
  // Failures go to stderr with --json as without: only stdout is the
  // script's.
  const auto fail = [&options](const std::string& error, const std::vector<std::string>& causes) {
    fprintf(stderr, "import: %s\n", error.c_str());
    for (const std::string& cause : causes) fprintf(stderr, "  caused by: %s\n", cause.c_str());
    if (options.json) {
      PrintJson({{"ok", false}, {"error", error}, {"caused_by", causes}});
    }
    return 1;
  };
  const auto nothing = [&options](const std::string& why, const std::string& credentials) {
    if (options.json) {
      PrintJson({{"ok", true},
                 {"credentials", credentials},
                 {"imported", nlohmann::ordered_json::array()},
                 {"note", why}});
    } else {
      printf("%s\n", why.c_str());
    }
    return 0;
  };
  std::string credentials_path;
  absl::StatusOr<std::string> credentials = ReadCredentials(cargo_home, &credentials_path);
  if (!credentials.ok()) {
    return fail(std::string(credentials.status().message()),
                cargo_credential::CausedBy(credentials.status()));
  }
  if (credentials_path.empty()) {
    return nothing(absl::StrCat("no ", cargo_home, "/credentials.toml: nothing to import"), "");
  }
  const std::string config = ReadConfig(cargo_home);
  absl::StatusOr<std::vector<CargoToken>> tokens =
      ParseCargoCredentials(*credentials, config, credentials_path);
  if (!tokens.ok()) return fail(std::string(tokens.status().message()), {});
  if (tokens->empty()) {
    return nothing(absl::StrCat(credentials_path, " holds no tokens: nothing to import"),
                   credentials_path);
  }

  std::vector<const CargoToken*> imported;
  nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
  std::vector<Failure> failures;
  // Once the daemon cannot be reached, it cannot be for the rest either:
  // they share that failure rather than each waiting to find it again.
  std::optional<absl::Status> unreachable;
  for (const CargoToken& entry : *tokens) {
    if (entry.index_url.empty()) {
      const std::string reason =
          entry.index_error.empty() ? "no index URL known for it" : entry.index_error;
      const std::string hint =
          entry.index_error.empty()
              ? absl::StrCat("add `[registries.", entry.name, "] index = \"...\"` to ", cargo_home,
                             "/config.toml (or set ", IndexVariable(entry.name),
                             ") and run import again")
              : absl::StrCat("fix `[registries.", entry.name, "] index` in ", cargo_home,
                             "/config.toml (or ", IndexVariable(entry.name),
                             ") and run import again");
      fprintf(stderr, "skipped %s: %s; %s\n", entry.name.c_str(), reason.c_str(), hint.c_str());
      skipped.push_back({{"name", entry.name}, {"reason", reason}, {"hint", hint}});
      continue;
    }
    bool reached = false;
    const absl::Status status =
        unreachable.has_value() ? *unreachable : LogIn(options, entry, &reached);
    if (status.ok()) {
      if (!options.json) {
        printf(
            "imported %s%s\n", Describe(entry).c_str(),
            options.backend.empty() ? "" : absl::StrCat(" into `", options.backend, "`").c_str());
      }
      imported.push_back(&entry);
      continue;
    }
    if (!reached) unreachable = status;
    Failure failure = Explain(status, options.backend);
    auto same = absl::c_find_if(failures, [&failure](const Failure& other) {
      return other.error == failure.error && other.caused_by == failure.caused_by;
    });
    if (same == failures.end()) same = failures.insert(failures.end(), std::move(failure));
    same->registries.push_back(&entry);
  }

  for (const Failure& failure : failures) {
    std::vector<std::string> names;
    for (const CargoToken* entry : failure.registries) names.push_back(entry->name);
    if (failure.registries.size() == 1) {
      fprintf(stderr, "failed %s: %s\n", Describe(*failure.registries[0]).c_str(),
              failure.error.c_str());
    } else {
      fprintf(stderr, "failed for %zu registries (%s): %s\n", failure.registries.size(),
              absl::StrJoin(names, ", ").c_str(), failure.error.c_str());
    }
    for (const std::string& cause : failure.caused_by) {
      fprintf(stderr, "  caused by: %s\n", cause.c_str());
    }
    if (!failure.hint.empty()) fprintf(stderr, "hint: %s\n", failure.hint.c_str());
  }

  int code = failures.empty() && skipped.empty() ? 0 : 1;
  nlohmann::ordered_json removed;
  if (options.remove && !imported.empty()) {
    std::vector<std::string> names;
    for (const CargoToken* entry : imported) names.push_back(entry->name);
    absl::StatusOr<std::string> rest = RemoveCargoTokens(*credentials, names);
    absl::Status written =
        rest.ok() ? cargo_credential::WritePrivateFileAtomically(credentials_path, *rest)
                  : rest.status();
    if (!written.ok()) {
      const std::string error = absl::StrCat("the tokens are in credcache, but ", credentials_path,
                                             " was left as it was: ", written.message());
      fprintf(stderr, "import: %s\n", error.c_str());
      removed = {{"count", 0}, {"error", error}};
      code = 1;
    } else {
      if (!options.json) {
        printf("removed %zu token(s) from %s\n", imported.size(), credentials_path.c_str());
      }
      removed = {{"count", imported.size()}};
    }
  } else if (!imported.empty() && !options.json) {
    printf(
        "%s still holds these tokens in plain text; once cargo works through credcache,\n"
        "run `%s import --remove` to delete them there.\n",
        credentials_path.c_str(), kProgram);
  }

  // The registries whose tokens should now come from credcache, and those
  // of them cargo's config does not send there yet.
  std::vector<std::string> not_asked;
  std::vector<std::string> own_provider;
  absl::StatusOr<toml::table> settings = Parse(config, "config.toml");
  for (const CargoToken& entry : *tokens) {
    if (entry.index_url.empty() || CargoAsksCredcache(config, entry.name)) continue;
    not_asked.push_back(entry.name);
    const bool has_own =
        settings.ok() &&
        (entry.name == "crates-io"
             ? (*settings)["registry"]["credential-provider"].node() != nullptr
             : (*settings)["registries"][entry.name]["credential-provider"].node() != nullptr);
    if (has_own) own_provider.push_back(entry.name);
  }
  std::string config_hint;
  if (!not_asked.empty()) {
    config_hint = absl::StrCat(
        "Tell cargo to ask credcache, in ", cargo_home,
        "/config.toml:\n"
        "  [registry]\n"
        "  global-credential-providers = [\"cargo-credential-credcache\"]\n",
        own_provider.empty()
            ? "(a registry with its own `credential-provider = ...` needs it changed too)\n"
            : absl::StrCat("and change the `credential-provider` of ",
                           absl::StrJoin(own_provider, ", "),
                           ", which cargo asks instead of the global ones\n"));
    if (!options.json) printf("\n%s", config_hint.c_str());
  } else if (!options.json) {
    printf(
        "cargo already asks credcache for these registries (global-credential-providers in "
        "%s/config.toml)\n",
        cargo_home.c_str());
  }

  if (options.json) {
    nlohmann::ordered_json json = {
        {"ok", code == 0},
        {"credentials", credentials_path},
        {"backend", options.backend.empty() ? nlohmann::ordered_json()
                                            : nlohmann::ordered_json(options.backend)}};
    json["imported"] = nlohmann::ordered_json::array();
    for (const CargoToken* entry : imported) json["imported"].push_back(RegistryJson(*entry));
    json["skipped"] = skipped;
    json["failed"] = nlohmann::ordered_json::array();
    for (const Failure& failure : failures) {
      nlohmann::ordered_json registries = nlohmann::ordered_json::array();
      for (const CargoToken* entry : failure.registries) registries.push_back(RegistryJson(*entry));
      nlohmann::ordered_json each = {{"error", failure.error}, {"registries", registries}};
      if (!failure.caused_by.empty()) each["caused_by"] = failure.caused_by;
      if (!failure.hint.empty()) each["hint"] = failure.hint;
      json["failed"].push_back(each);
    }
    if (!removed.is_null()) json["removed"] = removed;
    json["cargo_asks_credcache"] = not_asked.empty();
    if (!config_hint.empty()) json["config_hint"] = config_hint;
    if (code != 0) {
      const size_t missed = tokens->size() - imported.size();
      json["error"] =
          missed > 0 ? absl::StrCat(missed, " of ", tokens->size(), " registries were not imported")
                     : removed["error"].get<std::string>();
      json["hint"] = missed > 0 ? "\"failed\" and \"skipped\" say why, and what to do"
                                : "remove the tokens from credentials.toml by hand";
    }
    PrintJson(json);
  }
  return code;
}

}  // namespace credcache
