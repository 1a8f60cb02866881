// URLs shown to users: credentials never appear in messages.
#pragma once

#include <string>
#include <string_view>

namespace gantry {

// `text` with the user-info part of every URL in it removed
// ("https://user:pw@host/x" -> "https://host/x"), except a bare ssh user name
// ("ssh://git@host/x" stays; "ssh://git:pw@host/x" -> "ssh://host/x").
std::string redact_url(std::string_view text);

}  // namespace gantry
