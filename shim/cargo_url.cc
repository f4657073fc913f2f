#include "shim/cargo_url.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/utf8.h"

namespace credcache {
namespace {

// Index URLs as cargo spells them: the url crate, WHATWG's standard.

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
    const std::string serialized = Path(path, false);
    // A URL with no host whose path starts with "//" would read back as
    // one with a host: the standard (and the url crate) write "/." first.
    if (!has_authority && absl::StartsWith(serialized, "//")) out += "/.";
    out += serialized;
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

}  // namespace credcache
