#include "base/status.h"

#include <gtest/gtest.h>

#include "base/result.h"

namespace sluice {
namespace {

Status FailsWhen(bool fail) {
  if (fail) return Status::InvalidArgument("line 3: bad");
  return Status::Ok();
}

Status Propagates(bool fail) {
  SLUICE_RETURN_IF_ERROR(FailsWhen(fail));
  return Status::Internal("reached the end");
}

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  SLUICE_ASSIGN_OR_RETURN(int half, Half(x));
  SLUICE_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, CarriesCodeAndMessage) {
  Status s = Status::ResourceExhausted("line too long");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.ToString(), "ResourceExhausted: line too long");
  EXPECT_EQ(s.WithContext("stream 2").message(), "stream 2: line too long");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

TEST(Status, ReturnIfErrorPropagatesOnlyErrors) {
  EXPECT_EQ(Propagates(true).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Propagates(false).code(), StatusCode::kInternal);
}

TEST(Result, HoldsValueOrStatus) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> odd = Quarter(6);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().message(), "odd");
  EXPECT_TRUE(Half(4).status().ok());
}

TEST(Result, MovesValuesOut) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

}  // namespace
}  // namespace sluice
