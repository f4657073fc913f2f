// HelpRow: one row of a program's --help, the one way both programs lay
// out a name and what it does, so that their usage texts line up alike.
//
// Thread-safety: a pure function.
#ifndef CREDCACHE_COMMON_HELP_TEXT_H_
#define CREDCACHE_COMMON_HELP_TEXT_H_

#include <string>

namespace credcache {

// "  NAME<padding>TEXT\n": TEXT starts in a fixed column (on the next line
// when NAME reaches it) and its later lines are indented to match.
std::string HelpRow(const std::string& name, const std::string& text);

}  // namespace credcache

#endif  // CREDCACHE_COMMON_HELP_TEXT_H_
