#include "core/error.h"

#include <utility>

namespace gantry {

std::string Location::str() const {
  std::string s = file;
  if (line > 0) {
    s += ':' + std::to_string(line);
    if (column > 0) s += ':' + std::to_string(column);
  }
  return s;
}

Error::Error(std::string why, ExitCode code) : why_(std::move(why)), code_(code) {}

Error::Error(Location where, std::string why, ExitCode code)
    : where_(std::move(where)), why_(std::move(why)), code_(code) {}

Error& Error::add_context(std::string what) {
  context_.insert(context_.begin(), std::move(what));
  what_cache_.clear();
  return *this;
}

Error& Error::set_location_if_unknown(const Location& where) {
  if (!where_.known()) {
    where_ = where;
    what_cache_.clear();
  }
  return *this;
}

std::string Error::str() const {
  std::string s;
  if (where_.known()) s = where_.str() + ": ";
  for (const auto& c : context_)
    s += c + ": ";
  s += why_;
  return s;
}

const char* Error::what() const noexcept {
  if (what_cache_.empty()) what_cache_ = str();
  return what_cache_.c_str();
}

}  // namespace gantry
