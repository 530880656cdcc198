#include "daemon/http/router.h"

#include <gtest/gtest.h>

namespace sluice::daemon {
namespace {

HttpHandler Named(std::string name) {
  return [name](HttpRequest, Responder r) { r.Send(HttpResponse::Text(200, name)); };
}

TEST(Router, MatchesExactPathsAndCapturesSegments) {
  Router router;
  router.Add({HttpMethod::kGet}, "/loki/api/v1/labels", Named("labels"));
  router.Add({HttpMethod::kGet}, "/loki/api/v1/label/{name}/values", Named("values"));
  auto m = router.Find(HttpMethod::kGet, "/loki/api/v1/label/job%2Fx/values");
  ASSERT_EQ(m.outcome, Router::Outcome::kFound);
  EXPECT_EQ(m.route->pattern, "/loki/api/v1/label/{name}/values");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "name");
  EXPECT_EQ(m.params[0].second, "job/x");
  EXPECT_EQ(router.Find(HttpMethod::kGet, "/loki/api/v1/labels").route->pattern,
            "/loki/api/v1/labels");
}

TEST(Router, ExactSegmentsWinOverCaptures) {
  Router router;
  router.Add({HttpMethod::kPost}, "/{index}/_bulk", Named("index bulk"));
  router.Add({HttpMethod::kPost}, "/insert/_bulk", Named("insert bulk"));
  EXPECT_EQ(router.Find(HttpMethod::kPost, "/insert/_bulk").route->pattern, "/insert/_bulk");
  EXPECT_EQ(router.Find(HttpMethod::kPost, "/logs-x/_bulk").route->pattern, "/{index}/_bulk");
}

TEST(Router, DistinguishesMissingPathsFromWrongMethods) {
  Router router;
  router.Add({HttpMethod::kPost, HttpMethod::kPut}, "/-/reload", Named("reload"));
  EXPECT_EQ(router.Find(HttpMethod::kGet, "/nope").outcome, Router::Outcome::kNotFound);
  auto m = router.Find(HttpMethod::kGet, "/-/reload");
  EXPECT_EQ(m.outcome, Router::Outcome::kMethodNotAllowed);
  EXPECT_EQ(m.allowed, (std::vector<HttpMethod>{HttpMethod::kPost, HttpMethod::kPut}));
}

TEST(Router, HeadFallsBackToGet) {
  Router router;
  router.Add({HttpMethod::kGet}, "/", Named("root"));
  EXPECT_EQ(router.Find(HttpMethod::kHead, "/").outcome, Router::Outcome::kFound);
  EXPECT_EQ(router.Find(HttpMethod::kPost, "/").outcome, Router::Outcome::kMethodNotAllowed);
}

TEST(Router, TrailingSlashesAndEmptySegmentsDoNotMatch) {
  Router router;
  router.Add({HttpMethod::kGet}, "/a/{x}", Named("a"));
  EXPECT_EQ(router.Find(HttpMethod::kGet, "/a/").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(router.Find(HttpMethod::kGet, "/a/b/").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(router.Find(HttpMethod::kGet, "/a//b").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(router.Find(HttpMethod::kGet, "/a/b").outcome, Router::Outcome::kFound);
}

TEST(Router, RejectsDuplicateAndMalformedPatterns) {
  Router router;
  router.Add({HttpMethod::kGet}, "/x", Named("x"));
  EXPECT_THROW(router.Add({HttpMethod::kGet}, "/x", Named("x")), std::invalid_argument);
  router.Add({HttpMethod::kPost}, "/x", Named("x post"));
  EXPECT_EQ(router.Find(HttpMethod::kPost, "/x").outcome, Router::Outcome::kFound);
  EXPECT_THROW(router.Add({HttpMethod::kGet}, "x", Named("x")), std::invalid_argument);
}

TEST(QueryParams, DecodesFormEncodingAndRepeatedNames) {
  QueryParams p =
      QueryParams::Parse("match%5B%5D=up&match[]=%7Bjob%3D%22a+b%22%7D&empty=&flag&x=1%");
  EXPECT_EQ(p.GetAll("match[]"), (std::vector<std::string_view>{"up", "{job=\"a b\"}"}));
  EXPECT_TRUE(p.Has("empty"));
  EXPECT_EQ(p.Get("empty"), "");
  EXPECT_TRUE(p.Has("flag"));
  EXPECT_EQ(p.Get("x"), "1%");
  EXPECT_FALSE(p.Has("nope"));
}

TEST(HttpHeaders, LookupIgnoresCase) {
  HttpHeaders h;
  h.Add("Content-Type", "application/json");
  h.Add("X-Scope-OrgID", "team-a");
  EXPECT_EQ(h.Get("content-type"), "application/json");
  EXPECT_EQ(h.Get("x-scope-orgid"), "team-a");
  EXPECT_FALSE(h.Find("accept"));
  h.Set("CONTENT-TYPE", "text/plain");
  EXPECT_EQ(h.Get("Content-Type"), "text/plain");
  EXPECT_EQ(h.fields().size(), 2u);
}

TEST(Responder, AnswersAtMostOnceAnd500WhenDropped) {
  struct Sink : ResponseSink {
    std::vector<int>* codes;
    void Deliver(HttpResponse r) override { codes->push_back(r.status); }
  };
  std::vector<int> codes;
  auto sink = std::make_shared<Sink>();
  sink->codes = &codes;
  {
    Responder r(sink);
    r.Send(HttpResponse::Empty(204));
    r.Send(HttpResponse::Empty(200));
    EXPECT_TRUE(r.sent());
  }
  { Responder dropped(sink); }
  {
    Responder a(sink);
    Responder b = std::move(a);
    b.Send(HttpResponse::Empty(201));
  }
  EXPECT_EQ(codes, (std::vector<int>{204, 500, 201}));
}

}  // namespace
}  // namespace sluice::daemon
