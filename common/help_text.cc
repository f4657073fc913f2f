#include "common/help_text.h"

#include "absl/strings/str_cat.h"

namespace credcache {

std::string HelpRow(const std::string& name, const std::string& text) {
  constexpr size_t kColumn = 20;
  std::string row = absl::StrCat("  ", name);
  // A name that reaches the column gets the text on a line of its own.
  if (row.size() + 1 >= kColumn) {
    row += "\n";
    row.append(kColumn, ' ');
  } else {
    row.append(kColumn - row.size(), ' ');
  }
  for (const char c : text) {
    row += c;
    if (c == '\n') row.append(kColumn, ' ');
  }
  return row + "\n";
}

}  // namespace credcache
