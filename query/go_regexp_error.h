// Go's regexp/syntax error text for a regex that RE2 rejected, as Prometheus and Loki (Go
// programs) report it: "error parsing regexp: missing closing ): `(foo`".
#pragma once

#include <re2/re2.h>

#include <string>

namespace sluice::query {

std::string GoRegexpError(const re2::RE2& re);

}  // namespace sluice::query
