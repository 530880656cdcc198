#include "query/logql_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "query/logql_ast.h"
#include "query/logql_lexer.h"

namespace sluice::query::logql {
namespace {

using namespace std::string_view_literals;  // NOLINT: queries with NUL bytes

// Queries and their Loki text (nullptr: the query prints as written). The expected texts follow
// the String() methods of Loki's pkg/logql/syntax and pkg/logql/log.
struct ValidCase {
  std::string_view query;
  const char* printed;
};

constexpr ValidCase kValidCases[] = {
    {R"q({app="foo"})q"sv, nullptr},
    {R"q({ foo = "bar" })q"sv, R"q({foo="bar"})q"},
    {R"q({ namespace="buzz", foo != "bar" })q"sv, R"q({namespace="buzz", foo!="bar"})q"},
    {R"q({ foo =~ "bar" })q"sv, R"q({foo=~"bar"})q"},
    {R"q({ namespace="buzz", foo !~ "bar" })q"sv, R"q({namespace="buzz", foo!~"bar"})q"},
    {R"q({app="foo", env=~"prod|dev", x!~"test.*"})q"sv, nullptr},
    {R"q({app="foo"} |= "bar" | json | level="error")q"sv, nullptr},
    {R"q({app="foo"} |= "bar" |~ "b.*r" != "baz" !~ "qu+x")q"sv, nullptr},
    {R"q({app="foo"} |= "")q"sv, nullptr},
    {R"q({app="foo"} |= "a" or "b" or "c")q"sv, nullptr},
    {R"q({app="foo"} |~ "a" or "b")q"sv, nullptr},
    {R"q({app="foo"} != "a" or "b" or "c")q"sv, R"q({app="foo"} != "a" != "b" != "c")q"},
    {R"q({app="foo"} !~ "a" or "b")q"sv, R"q({app="foo"} !~ "a" !~ "b")q"},
    {R"q({app="foo"} |> "<_> foo <_>")q"sv, nullptr},
    {R"q({app="foo"} !> "<_> foo <_>")q"sv, nullptr},
    {R"q({app="foo"} |> "<_> foo <_>" or "bar <_>")q"sv, nullptr},
    {R"q({app="foo"} !> "<_>y" or "<_>z")q"sv, R"q({app="foo"} !> "<_>y" !> "<_>z")q"},
    {R"q({app="foo"} |= ip("192.168.0.1"))q"sv, nullptr},
    {R"q({app="foo"} != ip("192.168.0.0/16"))q"sv, nullptr},
    {R"q({app="foo"} |= ip("10.0.0.1") or ip("10.0.0.2"))q"sv, nullptr},
    {R"q({app="foo"} |= "baz" |= ip("123.123.123.123"))q"sv, nullptr},
    {R"q({app="foo"} |= `raw\string`)q"sv, R"q({app="foo"} |= "raw\\string")q"},
    {R"q({app="foo"} |= "tab\tnew\nline \"q\" \\ \u00e9 \x41")q"sv,
     R"q({app="foo"} |= "tab\tnew\nline \"q\" \\ é A")q"},
    {R"q({app="foo"} |= "\xff")q"sv, nullptr},
    {R"q({app="foo"} | json)q"sv, nullptr},
    {R"q({app="foo"} | json first="a.b", second="c[0]")q"sv,
     R"q({app="foo"} | json first="a.b",second="c[0]")q"},
    {R"q({app="foo"} | json response_status="response.status.code", first_param="request.params[0]")q"sv,
     R"q({app="foo"} | json response_status="response.status.code",first_param="request.params[0]")q"},
    {R"q({app="foo"} | json a, b)q"sv, R"q({app="foo"} | json a="a",b="b")q"},
    {R"q({app="foo"} | logfmt)q"sv, nullptr},
    {R"q({app="foo"} | logfmt --strict)q"sv, nullptr},
    {R"q({app="foo"} | logfmt --keep-empty)q"sv, nullptr},
    {R"q({app="foo"} | logfmt --strict --keep-empty)q"sv, nullptr},
    {R"q({app="foo"} | logfmt code="response.code", IPAddress="host")q"sv,
     R"q({app="foo"} | logfmt code="response.code",IPAddress="host")q"},
    {R"q({app="foo"} | logfmt --strict --keep-empty a, b="c")q"sv,
     R"q({app="foo"} | logfmt --strict --keep-empty a="a",b="c")q"},
    {R"q({app="foo"} | regexp "(?P<method>\\w+) (?P<path>[^ ]+)")q"sv, nullptr},
    {R"q({app="foo"} | pattern "<ip> - <_> [<ts>] \"<method> <path> <_>\"")q"sv, nullptr},
    {R"q({app="foo"} | unpack)q"sv, nullptr},
    {R"q({app="foo"} | unpack | json)q"sv, nullptr},
    {R"q({app="foo"} | line_format "{{.level}}: {{.msg}}")q"sv, nullptr},
    {R"q({app="foo"} | line_format `{{.a}} "quoted"`)q"sv,
     R"q({app="foo"} | line_format "{{.a}} \"quoted\"")q"},
    {R"q({app="foo"} | label_format dst="{{.src}}")q"sv, nullptr},
    {R"q({app="foo"} | label_format a="{{.b}}", c=d)q"sv,
     R"q({app="foo"} | label_format a="{{.b}}",c=d)q"},
    {R"q({app="foo"} | label_format a=b)q"sv, nullptr},
    {R"q({app="foo"} | drop a)q"sv, nullptr},
    {R"q({app="foo"} | drop a, b="v", c=~"x.*")q"sv, R"q({app="foo"} | drop a,b="v",c=~"x.*")q"},
    {R"q({app="foo"} | keep a, b)q"sv, R"q({app="foo"} | keep a,b)q"},
    {R"q({app="foo"} | keep a, level!="debug")q"sv, R"q({app="foo"} | keep a,level!="debug")q"},
    {R"q({app="foo"} | decolorize)q"sv, nullptr},
    {R"q({app="foo"} | logfmt | level="error")q"sv, nullptr},
    {R"q({app="foo"} | logfmt | level!="debug")q"sv, nullptr},
    {R"q({app="foo"} | logfmt | level=~"error|warn")q"sv, nullptr},
    {R"q({app="foo"} | logfmt | level!~"debug|info")q"sv, nullptr},
    {R"q({app="foo"} | logfmt | status=~"5..")q"sv, R"q({app="foo"} | logfmt | status=~`5..`)q"},
    {R"q({app="foo"} | logfmt | path=~"/api/.+")q"sv,
     R"q({app="foo"} | logfmt | path=~`/api/.+`)q"},
    {R"q({app="foo"} | logfmt | path=~"(?i)error")q"sv, nullptr},
    {R"q({app="foo"} | logfmt | path=~".*foo.*")q"sv, nullptr},
    {R"q({app="foo"} | logfmt | path=~"foo.*bar")q"sv,
     R"q({app="foo"} | logfmt | path=~`foo.*bar`)q"},
    {R"q({app="foo"} | logfmt | path=~"foo|foobar")q"sv, nullptr},
    {R"q({app="foo"} | logfmt | path=~"abc|abd")q"sv,
     R"q({app="foo"} | logfmt | path=~`abc|abd`)q"},
    {R"q({app="foo"} | logfmt | path=~"a|b")q"sv, R"q({app="foo"} | logfmt | path=~`a|b`)q"},
    {R"q({app="foo"} | logfmt | path=~"x`y.z")q"sv, nullptr},
    {R"q({app="foo"} | logfmt | latency > 250ms)q"sv, R"q({app="foo"} | logfmt | latency>250ms)q"},
    {R"q({app="foo"} | logfmt | latency >= 1m)q"sv, R"q({app="foo"} | logfmt | latency>=1m0s)q"},
    {R"q({app="foo"} | logfmt | latency < 1h30m)q"sv,
     R"q({app="foo"} | logfmt | latency<1h30m0s)q"},
    {R"q({app="foo"} | logfmt | latency <= 1.5s)q"sv, R"q({app="foo"} | logfmt | latency<=1.5s)q"},
    {R"q({app="foo"} | logfmt | latency == 500us)q"sv,
     R"q({app="foo"} | logfmt | latency==500µs)q"},
    {R"q({app="foo"} | logfmt | latency != 90s)q"sv, R"q({app="foo"} | logfmt | latency!=1m30s)q"},
    {R"q({app="foo"} | logfmt | latency = 1d)q"sv, R"q({app="foo"} | logfmt | latency==24h0m0s)q"},
    {R"q({app="foo"} | logfmt | latency > -5s)q"sv, R"q({app="foo"} | logfmt | latency>-5s)q"},
    {R"q({app="foo"} | logfmt | size >= 20MB)q"sv, R"q({app="foo"} | logfmt | size>=20MB)q"},
    {R"q({app="foo"} | logfmt | size < 1KiB)q"sv, R"q({app="foo"} | logfmt | size<1.0kB)q"},
    {R"q({app="foo"} | logfmt | size > 5k)q"sv, R"q({app="foo"} | logfmt | size>5.0kB)q"},
    {R"q({app="foo"} | logfmt | size == 512B)q"sv, R"q({app="foo"} | logfmt | size==512B)q"},
    {R"q({app="foo"} | logfmt | size != 3GB)q"sv, R"q({app="foo"} | logfmt | size!=3.0GB)q"},
    {R"q({app="foo"} | logfmt | status == 200)q"sv, R"q({app="foo"} | logfmt | status==200)q"},
    {R"q({app="foo"} | logfmt | status = 200)q"sv, R"q({app="foo"} | logfmt | status==200)q"},
    {R"q({app="foo"} | logfmt | status != 404)q"sv, R"q({app="foo"} | logfmt | status!=404)q"},
    {R"q({app="foo"} | logfmt | status > -1)q"sv, R"q({app="foo"} | logfmt | status>-1)q"},
    {R"q({app="foo"} | logfmt | status >= +5)q"sv, R"q({app="foo"} | logfmt | status>=5)q"},
    {R"q({app="foo"} | logfmt | ratio < 0.25)q"sv, R"q({app="foo"} | logfmt | ratio<0.25)q"},
    {R"q({app="foo"} | logfmt | addr = ip("10.0.0.0/8"))q"sv,
     R"q({app="foo"} | logfmt | addr=ip("10.0.0.0/8"))q"},
    {R"q({app="foo"} | logfmt | addr != ip("10.0.0.1-10.0.0.9"))q"sv,
     R"q({app="foo"} | logfmt | addr!=ip("10.0.0.1-10.0.0.9"))q"},
    {R"q({app="foo"} | logfmt | a="1" b="2" c="3")q"sv,
     R"q({app="foo"} | logfmt | ( a="1" , ( b="2" , c="3" ) ))q"},
    {R"q({app="foo"} | logfmt | a="1", b="2")q"sv, R"q({app="foo"} | logfmt | ( a="1" , b="2" ))q"},
    {R"q({app="foo"} | logfmt | a="1" and b="2")q"sv,
     R"q({app="foo"} | logfmt | ( a="1" , b="2" ))q"},
    {R"q({app="foo"} | logfmt | a="1" or b="2")q"sv,
     R"q({app="foo"} | logfmt | ( a="1" or b="2" ))q"},
    {R"q({app="foo"} | logfmt | a="1" or b="2" and c="3")q"sv,
     R"q({app="foo"} | logfmt | ( a="1" or ( b="2" , c="3" ) ))q"},
    {R"q({app="foo"} | logfmt | a="1" and b="2" or c="3")q"sv,
     R"q({app="foo"} | logfmt | ( ( a="1" , b="2" ) or c="3" ))q"},
    {R"q({app="foo"} | logfmt | a="1", b="2" or c="3")q"sv,
     R"q({app="foo"} | logfmt | ( a="1" , ( b="2" or c="3" ) ))q"},
    {R"q({app="foo"} | logfmt | (a="1" or b="2") c="3")q"sv,
     R"q({app="foo"} | logfmt | ( ( a="1" or b="2" ) , c="3" ))q"},
    {R"q({app="foo"} | logfmt | a="1" or b="2" or c="3")q"sv,
     R"q({app="foo"} | logfmt | ( ( a="1" or b="2" ) or c="3" ))q"},
    {R"q({app="foo"} | logfmt | latency >= 250ms or ( status_code < 500 and status_code > 200))q"sv,
     R"q({app="foo"} | logfmt | ( latency>=250ms or ( status_code<500 , status_code>200 ) ))q"},
    {R"q({foo="bar"} |= "baz" |~ "blip" != "flip" !~ "flap" | regexp "(?P<foo>foo|bar)" | ( ( foo<5.01 , bar>20ms ) or foo="bar" ) | line_format "blip{{.boop}}bap" | label_format foo=bar,bar="blip{{.blop}}")q"sv,
     nullptr},
    {R"q({app="foo"} | json | line_format "{{.x}}" | label_format y="{{.x}}" | drop __error__, __error_details__)q"sv,
     R"q({app="foo"} | json | line_format "{{.x}}" | label_format y="{{.x}}" | drop __error__,__error_details__)q"},
    {R"q({rate="x"} | json | rate="a" | ip="x" | bytes > 5 | duration > 5s)q"sv,
     R"q({rate="x"} | json | rate="a" | ip="x" | bytes>5 | duration>5s)q"},
    {R"q({app="foo"} # trailing comment)q"sv, R"q({app="foo"})q"},
    {R"q({app="foo"} // Go comment)q"sv, R"q({app="foo"})q"},
    {R"q({é="x"})q"sv, nullptr},
    {R"q(count_over_time({app="foo"}[1m]))q"sv, nullptr},
    {R"q(count_over_time({app="foo"}[5m] offset 1h))q"sv,
     R"q(count_over_time({app="foo"}[5m] offset 1h0m0s))q"},
    {R"q(count_over_time({app="foo"}[5m] offset -30s))q"sv, nullptr},
    {R"q(count_over_time({app="foo"} |= "x" [5m]))q"sv,
     R"q(count_over_time({app="foo"} |= "x"[5m]))q"},
    {R"q(count_over_time({app="foo"}[5m] |= "x"))q"sv,
     R"q(count_over_time({app="foo"} |= "x"[5m]))q"},
    {R"q(count_over_time({app="foo"}[5m] offset 1h |= "x" | json))q"sv,
     R"q(count_over_time({app="foo"} |= "x" | json[5m] offset 1h0m0s))q"},
    {R"q(count_over_time(({app="foo"} |= "x")[5m]))q"sv,
     R"q(count_over_time({app="foo"} |= "x"[5m]))q"},
    {R"q(count_over_time((({app="foo"} |= "x")[5m])))q"sv,
     R"q(count_over_time({app="foo"} |= "x"[5m]))q"},
    {R"q(count_over_time(({app="foo"} |= "x" [5m])))q"sv,
     R"q(count_over_time({app="foo"} |= "x"[5m]))q"},
    {R"q(count_over_time({app="foo"}[90s]))q"sv, R"q(count_over_time({app="foo"}[1m30s]))q"},
    {R"q(count_over_time({app="foo"}[1h30m]))q"sv, nullptr},
    {R"q(count_over_time({app="foo"}[1500ms]))q"sv, R"q(count_over_time({app="foo"}[1s500ms]))q"},
    {R"q(count_over_time({app="foo"}[14d]))q"sv, R"q(count_over_time({app="foo"}[2w]))q"},
    {R"q(count_over_time({app="foo"}[8d]))q"sv, nullptr},
    {R"q(count_over_time({app="foo"}[1y]))q"sv, nullptr},
    {R"q(rate({app="foo"}[1m]))q"sv, nullptr},
    {R"q(rate({app="foo"} | unwrap bytes_processed [1m]))q"sv,
     R"q(rate({app="foo"} | unwrap bytes_processed[1m]))q"},
    {R"q(rate_counter({app="foo"} | unwrap x [1m]))q"sv,
     R"q(rate_counter({app="foo"} | unwrap x[1m]))q"},
    {R"q(bytes_over_time({app="foo"}[1m]))q"sv, nullptr},
    {R"q(bytes_rate({app="foo"}[1m]))q"sv, nullptr},
    {R"q(absent_over_time({app="foo"}[1m]))q"sv, nullptr},
    {R"q(sum_over_time({app="foo"} | logfmt | unwrap latency [5m]))q"sv,
     R"q(sum_over_time({app="foo"} | logfmt | unwrap latency[5m]))q"},
    {R"q(sum_over_time({app="foo"}[5m] | unwrap x))q"sv,
     R"q(sum_over_time({app="foo"} | unwrap x[5m]))q"},
    {R"q(sum_over_time(({app="foo"})[5m] | unwrap bytes(x)))q"sv,
     R"q(sum_over_time({app="foo"} | unwrap bytes(x)[5m]))q"},
    {R"q(sum_over_time(({app="foo"} | json | unwrap x)[5m]))q"sv,
     R"q(sum_over_time({app="foo"} | json | unwrap x[5m]))q"},
    {R"q(avg_over_time({app="foo"} | json | unwrap duration(latency) [5m]) by (path))q"sv,
     R"q(avg_over_time({app="foo"} | json | unwrap duration(latency)[5m]) by (path))q"},
    {R"q(max_over_time({app="foo"} | unwrap duration_seconds(x) | __error__="" [1m]) by (a))q"sv,
     R"q(max_over_time({app="foo"} | unwrap duration_seconds(x) | __error__=""[1m]) by (a))q"},
    {R"q(min_over_time({app="foo"} | unwrap x [1m]))q"sv,
     R"q(min_over_time({app="foo"} | unwrap x[1m]))q"},
    {R"q(stddev_over_time({app="foo"} | unwrap x [1m]))q"sv,
     R"q(stddev_over_time({app="foo"} | unwrap x[1m]))q"},
    {R"q(stdvar_over_time({app="foo"} | unwrap x [1m]))q"sv,
     R"q(stdvar_over_time({app="foo"} | unwrap x[1m]))q"},
    {R"q(first_over_time({app="foo"} | unwrap x [1m]) without (b))q"sv,
     R"q(first_over_time({app="foo"} | unwrap x[1m]) without (b))q"},
    {R"q(last_over_time({app="foo"} | logfmt | unwrap x [1m]))q"sv,
     R"q(last_over_time({app="foo"} | logfmt | unwrap x[1m]))q"},
    {R"q(quantile_over_time(0.99, {app="foo"} | unwrap latency [5m]) by (x))q"sv,
     R"q(quantile_over_time(0.99,{app="foo"} | unwrap latency[5m]) by (x))q"},
    {R"q(quantile_over_time(0.5, {app="foo"} | json | unwrap latency | __error__="" | latency > 1 [5m]))q"sv,
     R"q(quantile_over_time(0.5,{app="foo"} | json | unwrap latency | __error__="" | latency>1[5m]))q"},
    {R"q(sum_over_time({namespace="tns"} |= "level=error" | json |foo>=5,bar<25ms | unwrap latency | __error__!~".*" | foo >5[5m]))q"sv,
     R"q(sum_over_time({namespace="tns"} |= "level=error" | json | ( foo>=5 , bar<25ms ) | unwrap latency | __error__!~".*" | foo>5[5m]))q"},
    {R"q(sum(count_over_time({app="foo"}[1m])))q"sv, nullptr},
    {R"q(sum by (level)(count_over_time({app="foo"}[1m])))q"sv, nullptr},
    {R"q(sum(count_over_time({app="foo"}[1m])) by (level))q"sv,
     R"q(sum by (level)(count_over_time({app="foo"}[1m])))q"},
    {R"q(sum by(a, b) (count_over_time({app="foo"}[1m])))q"sv,
     R"q(sum by (a,b)(count_over_time({app="foo"}[1m])))q"},
    {R"q(sum without (a) (count_over_time({app="foo"}[1m])))q"sv,
     R"q(sum without (a)(count_over_time({app="foo"}[1m])))q"},
    {R"q(sum by () (count_over_time({app="foo"}[1m])))q"sv,
     R"q(sum(count_over_time({app="foo"}[1m])))q"},
    {R"q(sum without () (count_over_time({app="foo"}[1m])))q"sv,
     R"q(sum without ()(count_over_time({app="foo"}[1m])))q"},
    {R"q(avg(count_over_time({app="foo"}[1m])))q"sv, nullptr},
    {R"q(min(count_over_time({app="foo"}[1m])) without (x))q"sv,
     R"q(min without (x)(count_over_time({app="foo"}[1m])))q"},
    {R"q(max(count_over_time({app="foo"}[1m])))q"sv, nullptr},
    {R"q(count(count_over_time({app="foo"}[1m])))q"sv, nullptr},
    {R"q(stddev(count_over_time({app="foo"}[1m])))q"sv, nullptr},
    {R"q(stdvar(count_over_time({app="foo"}[1m])))q"sv, nullptr},
    {R"q(topk(10,sum(rate({region="us-east1"}[5m])) by (name)))q"sv,
     R"q(topk(10,sum by (name)(rate({region="us-east1"}[5m]))))q"},
    {R"q(topk by (name)(10,sum(rate({region="us-east1"}[5m]))))q"sv, nullptr},
    {R"q(bottomk(3, count_over_time({app="foo"}[1m])))q"sv,
     R"q(bottomk(3,count_over_time({app="foo"}[1m])))q"},
    {R"q(sort(count_over_time({app="foo"}[1m])))q"sv, nullptr},
    {R"q(sort_desc(sum by (a) (count_over_time({app="foo"}[1m]))))q"sv,
     R"q(sort_desc(sum by (a)(count_over_time({app="foo"}[1m]))))q"},
    {R"q(SUM(COUNT_OVER_TIME({app="foo"}[1m])) BY (x))q"sv,
     R"q(sum by (x)(count_over_time({app="foo"}[1m])))q"},
    {R"q(sum  (count_over_time ({app="foo"}[1m])))q"sv,
     R"q(sum(count_over_time({app="foo"}[1m])))q"},
    {R"q(vector(123))q"sv, R"q(vector(123.000000))q"},
    {R"q(vector(1.5))q"sv, R"q(vector(1.500000))q"},
    {R"q(label_replace(rate({app="foo"}[1m]), "dst", "$1", "src", "(.*):.*"))q"sv,
     R"q(label_replace(rate({app="foo"}[1m]),"dst","$1","src","(.*):.*"))q"},
    {R"q(label_replace(vector(1), "a", "b", "c", "d"))q"sv,
     R"q(label_replace(vector(1.000000),"a","b","c","d"))q"},
    {R"q(1)q"sv, nullptr},
    {R"q(1.6)q"sv, nullptr},
    {R"q(-1)q"sv, nullptr},
    {R"q(- 2.5)q"sv, R"q(-2.5)q"},
    {R"q(+3)q"sv, R"q(3)q"},
    {R"q(1e6)q"sv, R"q(1e+06)q"},
    {R"q(0.00001)q"sv, R"q(1e-05)q"},
    {R"q(1 + 2 * 3)q"sv, R"q(7)q"},
    {R"q((1 + 2) * 3)q"sv, R"q(9)q"},
    {R"q(10 / (5/2))q"sv, R"q(4)q"},
    {R"q(2 ^ 3 ^ 2)q"sv, R"q(512)q"},
    {R"q(1 > 1 > 1)q"sv, R"q(0)q"},
    {R"q(1 > bool 1 > count_over_time({foo="bar"}[1m]))q"sv,
     R"q((0 > count_over_time({foo="bar"}[1m])))q"},
    {R"q(sum(rate({app="foo"}[1m])) / sum(rate({app="foo"}[1m])) * 100)q"sv,
     R"q(((sum(rate({app="foo"}[1m])) / sum(rate({app="foo"}[1m]))) * 100))q"},
    {R"q(sum(rate({app="foo"}[1m])) - -1)q"sv, R"q((sum(rate({app="foo"}[1m])) - -1))q"},
    {R"q(sum(rate({app="foo"}[1m])) -1)q"sv, R"q((sum(rate({app="foo"}[1m])) - 1))q"},
    {R"q(sum(rate({app="foo"}[1m])) % 2 ^ 2)q"sv, R"q((sum(rate({app="foo"}[1m])) % 4))q"},
    {R"q(sum(rate({app="foo"}[1m])) > bool 0)q"sv, R"q((sum(rate({app="foo"}[1m])) > bool 0))q"},
    {R"q(count_over_time({a="b"}[1m]) == bool 1)q"sv,
     R"q((count_over_time({a="b"}[1m]) == bool 1))q"},
    {R"q(count_over_time({a="b"}[1m]) != 1)q"sv, R"q((count_over_time({a="b"}[1m]) != 1))q"},
    {R"q(count_over_time({a="b"}[1m]) >= 1 <= 2)q"sv,
     R"q(((count_over_time({a="b"}[1m]) >= 1) <= 2))q"},
    {R"q(count_over_time({a="b"}[1m]) < 1)q"sv, R"q((count_over_time({a="b"}[1m]) < 1))q"},
    {R"q(count_over_time({a="b"}[5m]) > 1 and count_over_time({a="b"}[5m]) < 2 or vector(0))q"sv,
     R"q((((count_over_time({a="b"}[5m]) > 1) and (count_over_time({a="b"}[5m]) < 2)) or vector(0.000000)))q"},
    {R"q(count_over_time({a="b"}[1m]) unless count_over_time({c="d"}[1m]))q"sv,
     R"q((count_over_time({a="b"}[1m]) unless count_over_time({c="d"}[1m])))q"},
    {R"q(sum(rate({app="foo"}[1m])) / on(x) group_left(y) sum(rate({app="foo"}[1m])))q"sv,
     R"q((sum(rate({app="foo"}[1m])) / on (x) group_left (y) sum(rate({app="foo"}[1m]))))q"},
    {R"q(sum(rate({app="foo"}[1m])) / ignoring(x) group_right sum(rate({app="foo"}[1m])))q"sv,
     R"q((sum(rate({app="foo"}[1m])) / ignoring (x) group_right sum(rate({app="foo"}[1m]))))q"},
    {R"q(sum(rate({app="foo"}[1m])) / on() group_left() sum(rate({app="foo"}[1m])))q"sv,
     R"q((sum(rate({app="foo"}[1m])) / on () group_left sum(rate({app="foo"}[1m]))))q"},
    {R"q(sum(rate({app="foo"}[1m])) or on () vector(0))q"sv,
     R"q((sum(rate({app="foo"}[1m])) or on ()  vector(0.000000)))q"},
    {R"q(sum(rate({app="foo"}[1m])) * ignoring () sum(rate({app="foo"}[1m])))q"sv,
     R"q((sum(rate({app="foo"}[1m])) * sum(rate({app="foo"}[1m]))))q"},
    {R"q((count_over_time({job="postgres"}[5m])/2) or vector(2))q"sv,
     R"q(((count_over_time({job="postgres"}[5m]) / 2) or vector(2.000000)))q"},
    {R"q(vector(1) + vector(2))q"sv, R"q((vector(1.000000) + vector(2.000000)))q"},
    {R"q(({app="foo"}))q"sv, R"q({app="foo"})q"},
    {R"q(({app="foo"} | json))q"sv, R"q({app="foo"} | json)q"},
    {"# leading comment\n{app=\"foo\"}"sv, R"q({app="foo"})q"},
    {"{app=\"foo\"}\n  | json\n  | level=\"error\""sv, R"q({app="foo"} | json | level="error")q"},
    {"sum by (a) (\n  count_over_time({app=\"foo\"}[1m])\n)"sv,
     R"q(sum by (a)(count_over_time({app="foo"}[1m])))q"},
};

// Queries Loki refuses, with its whole message: syntax errors at the offending token (line 0
// where Loki's lexer loses the line, after two-character operators, durations and ranges),
// errors of its AST constructors and validation without a position.
struct InvalidCase {
  std::string_view query;
  const char* error;
};

constexpr InvalidCase kInvalidCases[] = {
    {""sv, "parse error : syntax error: unexpected $end"},
    {"   "sv, "parse error at line 1, col 4: syntax error: unexpected $end"},
    {"{}"sv,
     "parse error : queries require at least one regexp or equality matcher that does not have an "
     "empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but "
     "app=~\".+\" will"},
    {"{a=\"\"}"sv,
     "parse error : queries require at least one regexp or equality matcher that does not have an "
     "empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but "
     "app=~\".+\" will"},
    {"{a=~\".*\"}"sv,
     "parse error : queries require at least one regexp or equality matcher that does not have an "
     "empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but "
     "app=~\".+\" will"},
    {"{a=~\".*\", b!=\"x\"}"sv,
     "parse error : queries require at least one regexp or equality matcher that does not have an "
     "empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but "
     "app=~\".+\" will"},
    {"count_over_time({a!=\"x\"}[1m])"sv,
     "parse error : queries require at least one regexp or equality matcher that does not have an "
     "empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but "
     "app=~\".+\" will"},
    {"sum(rate({a=\"b\"}[1m])) / rate({a=\"\"}[1m])"sv,
     "parse error : queries require at least one regexp or equality matcher that does not have an "
     "empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but "
     "app=~\".+\" will"},
    {"unk({ foo = \"bar\" }[5m])"sv,
     "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER"},
    {"absent_over_time({ foo = \"bar\" }[5h]) by (foo)"sv,
     "parse error : grouping not allowed for absent_over_time aggregation"},
    {"count_over_time({a=\"b\"}[5m]) by (x)"sv,
     "parse error : grouping not allowed for count_over_time aggregation"},
    {"rate({ foo = \"bar\" }[5minutes])"sv,
     "parse error at line 0, col 21: unknown unit \"minutes\" in duration \"5minutes\""},
    {"rate({ foo = \"bar\" }[5)"sv,
     "parse error at line 0, col 21: missing closing ']' in duration"},
    {"rate({ foo = \"bar\" }[])"sv, "parse error at line 0, col 21: empty duration string"},
    {"label_replace(rate({ foo = \"bar\" }[5m]),\"\")"sv,
     "parse error at line 1, col 43: syntax error: unexpected ), expecting ,"},
    {"label_replace(rate({ foo = \"bar\" }[5m]),\"foo\",\"$1\",\"bar\",\"^^^^x43\\\\q\")"sv,
     "parse error : invalid regex in label_replace: error parsing regexp: invalid escape sequence: "
     "`\\q`"},
    {"min({ foo = \"bar\" }[5m])"sv,
     "parse error at line 0, col 20: syntax error: unexpected RANGE"},
    {"{a=\"b\"} [5m]"sv, "parse error at line 0, col 9: syntax error: unexpected RANGE"},
    {"{a=\"b\"} |= \"x\" [1m]"sv, "parse error at line 0, col 16: syntax error: unexpected RANGE"},
    {"{ foo = \"bar\" }|logfmt|addr>=ip(\"1.2.3.4\")"sv,
     "parse error at line 1, col 30: syntax error: unexpected ip"},
    {"topk(0, sum(rate({region=\"us-east1\"}[5m])) by (name))"sv,
     "parse error : invalid parameter (must be greater than 0) topk(0"},
    {"topk(5.5, rate({a=\"b\"}[5m]))"sv, "parse error : invalid parameter topk(5.5,"},
    {"topk(rate({a=\"b\"}[5m]))"sv, "parse error : parameter required for operation topk"},
    {"sum(5, rate({a=\"b\"}[5m]))"sv, "parse error : unsupported parameter for operation sum(5,"},
    {"sort(sum(rate({a=\"b\"}[1m]))) by (app)"sv,
     "parse error : sort and sort_desc doesn't allow grouping by "},
    {"sum_over_time({a=\"b\"}[5m])"sv,
     "parse error : invalid aggregation sum_over_time without unwrap"},
    {"rate_counter({a=\"b\"}[5m])"sv,
     "parse error : invalid aggregation rate_counter without unwrap"},
    {"count_over_time({a=\"b\"} | unwrap x [5m])"sv,
     "parse error : invalid aggregation count_over_time with unwrap"},
    {"bytes_rate({a=\"b\"} | unwrap x [5m])"sv,
     "parse error : invalid aggregation bytes_rate with unwrap"},
    {"quantile_over_time({a=\"b\"} | unwrap x [5m])"sv,
     "parse error : parameter required for operation quantile_over_time"},
    {"rate(0.5, {a=\"b\"}[5m])"sv, "parse error : parameter 0.5 not supported for operation rate"},
    {"{a=\"b\"} or {c=\"d\"}"sv,
     "parse error : unexpected type for left leg of binary operation (or): *syntax.MatchersExpr"},
    {"{a=\"b\"} | json + 1"sv,
     "parse error : unexpected type for left leg of binary operation (+): *syntax.PipelineExpr"},
    {"2 * {a=\"b\"}"sv,
     "parse error : unexpected type for right leg of binary operation (*): *syntax.MatchersExpr"},
    {"{a=\"b\"} |= \"x\" or {c=\"d\"}"sv,
     "parse error at line 1, col 19: syntax error: unexpected {, expecting STRING or ip"},
    {"1 or rate({a=\"b\"}[1m])"sv,
     "parse error : unexpected literal for left leg of logical/set binary operation (or): "
     "1.000000"},
    {"rate({a=\"b\"}[1m]) and 1"sv,
     "parse error : unexpected literal for right leg of logical/set binary operation (and): "
     "1.000000"},
    {"sum({a=\"b\"})"sv, "parse error at line 1, col 12: syntax error: unexpected )"},
    {"label_replace({a=\"b\"}, \"a\", \"b\", \"c\", \"d\")"sv,
     "parse error at line 1, col 22: syntax error: unexpected ,"},
    {"{a=\"b\"} | json | unwrap x"sv,
     "parse error at line 1, col 18: syntax error: unexpected unwrap"},
    {"sum_over_time({a=\"b\"} | unwrap [5m])"sv,
     "parse error at line 0, col 32: syntax error: unexpected RANGE"},
    {"sum_over_time({a=\"b\"} | unwrap x | json [5m])"sv,
     "parse error at line 1, col 36: syntax error: unexpected json"},
    {"{a=~\"(\"}"sv, "parse error : error parsing regexp: missing closing ): `^(?:()$`"},
    {"{a=\"b\"} | x=~\"(\""sv, "parse error : error parsing regexp: missing closing ): `^(?:()$`"},
    {"{a=\"b\"} | drop c=~\"(\""sv,
     "parse error : error parsing regexp: missing closing ): `^(?:()$`"},
    {"{a=\"b\"} | regexp \"foo\""sv,
     "parse error : invalid regexp parser: at least one named capture must be supplied"},
    {"{a=\"b\"} | regexp \"(\""sv,
     "parse error : invalid regexp parser: error parsing regexp: missing closing ): `(`"},
    {"{a=\"b\"} | regexp \"(?P<1x>foo)\""sv,
     "parse error : invalid regexp parser: invalid extracted label name '1x'"},
    {"{a=\"b\"} | distinct a"sv,
     "parse error at line 1, col 11: the distinct stage is not supported"},
    {"approx_topk(5, rate({a=\"b\"}[1m]))"sv,
     "parse error at line 1, col 1: approx_topk is not supported"},
    {"variants(count_over_time({a=\"b\"}[1m])) of ({a=\"b\"}[1m])"sv,
     "parse error at line 1, col 1: variants queries are not supported"},
    {"{a=\"b\""sv, "parse error at line 1, col 7: syntax error: unexpected $end, expecting } or ,"},
    {"{a=\"b\",}"sv,
     "parse error at line 1, col 8: syntax error: unexpected }, expecting IDENTIFIER"},
    {"{a b}"sv,
     "parse error at line 1, col 4: syntax error: unexpected IDENTIFIER, expecting = or =~ or !~ "
     "or !="},
    {"{a=b}"sv,
     "parse error at line 1, col 4: syntax error: unexpected IDENTIFIER, expecting STRING"},
    {"{json=\"x\"}"sv,
     "parse error at line 1, col 2: syntax error: unexpected json, expecting IDENTIFIER or }"},
    {"{a=\"b\"} |= 5"sv,
     "parse error at line 1, col 12: syntax error: unexpected NUMBER, expecting STRING or ip"},
    {"{a=\"b\"} | json a=\"\""sv,
     "parse error at line 1, col 18: empty extraction expression for label a"},
    {"vector(-1)"sv, "parse error at line 1, col 8: syntax error: unexpected -, expecting NUMBER"},
    {"vector(x)"sv,
     "parse error at line 1, col 8: syntax error: unexpected IDENTIFIER, expecting NUMBER"},
    {"1e400"sv,
     "parse error : unable to parse literal as a float: strconv.ParseFloat: parsing \"1e400\": "
     "value out of range"},
    {"{a=\"b\"} | x > 1e400"sv,
     "parse error : unable to parse literal as a float: strconv.ParseFloat: parsing \"1e400\": "
     "value out of range"},
    {"{a=\"b\"} |= \"\\q\""sv, "parse error at line 1, col 12: invalid char escape"},
    {"{a=\"b\"} |= \"abc"sv, "parse error at line 1, col 12: literal not terminated"},
    {"{a=\"b\"} |= `abc"sv, "parse error at line 1, col 12: literal not terminated"},
    {"{a=\"b\"} | x > 5e"sv, "parse error at line 1, col 15: exponent has no digits"},
    {"{a=\"b\"} |= ip(\"a\") or \"b\""sv,
     "parse error at line 1, col 26: ip() and string line filters cannot be combined with or"},
    {"sum by (a) (rate({a=\"b\"}[1m])) by (b)"sv,
     "parse error at line 1, col 32: syntax error: unexpected by"},
    {"sum by (a b) (rate({a=\"b\"}[1m]))"sv,
     "parse error at line 1, col 11: syntax error: unexpected IDENTIFIER, expecting , or )"},
    {"rate by (a) ({a=\"b\"}[1m])"sv,
     "parse error at line 1, col 6: syntax error: unexpected by, expecting ("},
    {"sum by (a,) (rate({a=\"b\"}[1m]))"sv,
     "parse error at line 1, col 11: syntax error: unexpected ), expecting IDENTIFIER"},
    {"{a=\"b\"} | label_format a="sv,
     "parse error at line 1, col 26: syntax error: unexpected $end, expecting IDENTIFIER or "
     "STRING"},
    {"{a=\"b\"} | unwrap"sv, "parse error at line 1, col 11: syntax error: unexpected unwrap"},
    {"{a=\"b\"} offset 5m"sv, "parse error at line 1, col 9: syntax error: unexpected offset"},
    {"rate({a=\"b\"}[5m] offset)"sv,
     "parse error at line 1, col 24: syntax error: unexpected ), expecting DURATION"},
    {"rate({a=\"b\"}[5m] |= \"x\" offset 1h)"sv,
     "parse error at line 1, col 25: syntax error: unexpected offset"},
    {"{a=\"b\"} | json |"sv, "parse error at line 1, col 17: syntax error: unexpected $end"},
    {"{a=\"b\"} | a > \"x\""sv, "parse error at line 1, col 15: syntax error: unexpected STRING"},
    {"{a=\"b\"} | a =~ 5"sv,
     "parse error at line 1, col 16: syntax error: unexpected NUMBER, expecting STRING"},
    {"{a=\"b\"}\n  | json\n  | x =~ 5"sv,
     "parse error at line 3, col 10: syntax error: unexpected NUMBER, expecting STRING"},
    {"{a=\"b\"}\n  | json\n  | x > 5 )"sv,
     "parse error at line 3, col 11: syntax error: unexpected )"},
    {"sum(rate({a=\"b\"}[1m])) -0"sv,
     "parse error at line 0, col 24: syntax error: unexpected DURATION"},
    {"{a=\"b\"} | json --strict"sv,
     "parse error at line 0, col 16: syntax error: unexpected PARSER_FLAG"},
    {"{a=\"b\"} |= \"\\uD800\""sv, "parse error at line 1, col 12: invalid syntax"},
    {"{a=\"b\"} |= \"a\0b\""sv, "parse error at line 1, col 12: invalid character NUL"},
    {"sum(rate({a=\"b\"}[1m])) / group_left sum(rate({a=\"b\"}[1m]))"sv,
     "parse error at line 1, col 26: syntax error: unexpected group_left"},
    {"sum(rate({a=\"b\"}[1m])) / on x sum(rate({a=\"b\"}[1m]))"sv,
     "parse error at line 1, col 29: syntax error: unexpected IDENTIFIER, expecting ("},
    {"/* unterminated"sv, "parse error at line 1, col 1: comment not terminated"},
};

ExprPtr MustParse(std::string_view query) {
  Result<ExprPtr> r = ParseExpr(query);
  EXPECT_TRUE(r.ok()) << query << ": " << r.status().message();
  if (!r.ok()) return nullptr;
  return std::move(r).value();
}

template <typename T>
const T& As(const Expr& e) {
  const T* node = std::get_if<T>(&e.node);
  EXPECT_NE(node, nullptr) << ToString(e);
  static const T kEmpty{};
  return node != nullptr ? *node : kEmpty;
}

template <typename T>
const T& StageAs(const LogSelector& s, size_t i) {
  static const T kEmpty{};
  EXPECT_LT(i, s.stages.size());
  if (i >= s.stages.size()) return kEmpty;
  const T* node = std::get_if<T>(&s.stages[i].node);
  EXPECT_NE(node, nullptr) << ToString(s.stages[i]);
  return node != nullptr ? *node : kEmpty;
}

const LabelFilterExpr& FilterAt(const LogSelector& s, size_t i) {
  static const LabelFilterExpr kEmpty{};
  const LabelFilterPtr& p = StageAs<LabelFilterPtr>(s, i);
  return p != nullptr ? *p : kEmpty;
}

TEST(LogqlParserTest, ValidQueriesPrintAsLoki) {
  ASSERT_GE(std::size(kValidCases), 120u);
  for (const ValidCase& c : kValidCases) {
    Result<ExprPtr> r = ParseExpr(c.query);
    ASSERT_TRUE(r.ok()) << c.query << ": " << r.status().message();
    std::string want(c.printed != nullptr ? c.printed : c.query);
    EXPECT_EQ(ToString(**r), want) << c.query;
  }
}

TEST(LogqlParserTest, PrintedQueriesParseBackToTheSameText) {
  for (const ValidCase& c : kValidCases) {
    ExprPtr e = MustParse(c.query);
    if (e == nullptr) continue;
    std::string printed = ToString(*e);
    Result<ExprPtr> again = ParseExpr(printed);
    ASSERT_TRUE(again.ok()) << printed << ": " << again.status().message();
    EXPECT_EQ(ToString(**again), printed) << c.query;
  }
}

TEST(LogqlParserTest, InvalidQueriesFailWithLokisMessage) {
  ASSERT_GE(std::size(kInvalidCases), 40u);
  for (const InvalidCase& c : kInvalidCases) {
    Result<ExprPtr> r = ParseExpr(c.query);
    ASSERT_FALSE(r.ok()) << c.query << " parsed as " << ToString(**r);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.query;
    EXPECT_EQ(r.status().message(), c.error) << c.query;
  }
}

TEST(LogqlParserTest, SelectorMatchers) {
  ExprPtr e = MustParse(R"({app="foo", env!="dev", job=~"api.*", x!~"a|b"})");
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(IsLogQuery(*e));
  const LogSelector& s = As<LogSelector>(*e);
  ASSERT_EQ(s.matchers.size(), 4u);
  EXPECT_EQ(s.matchers[0].name(), "app");
  EXPECT_EQ(s.matchers[0].op(), storage::MatchOp::kEqual);
  EXPECT_EQ(s.matchers[0].value(), "foo");
  EXPECT_EQ(s.matchers[1].op(), storage::MatchOp::kNotEqual);
  EXPECT_EQ(s.matchers[2].op(), storage::MatchOp::kRegexMatch);
  // Anchored, as in Loki.
  EXPECT_TRUE(s.matchers[2].Matches("api-2"));
  EXPECT_FALSE(s.matchers[2].Matches("my-api"));
  EXPECT_EQ(s.matchers[3].op(), storage::MatchOp::kRegexNoMatch);
  EXPECT_TRUE(s.stages.empty());
}

TEST(LogqlParserTest, LineFilters) {
  ExprPtr e = MustParse(
      R"({a="b"} |= "x" != "y" or "z" |~ "r1" or `r\2` !~ "n" |> "<_> p" !> "q <_>" |= ip("10.0.0.0/8"))");
  ASSERT_NE(e, nullptr);
  const LogSelector& s = As<LogSelector>(*e);
  ASSERT_EQ(s.stages.size(), 7u);
  const auto& f0 = StageAs<LineFilter>(s, 0);
  EXPECT_EQ(f0.op, LineFilterOp::kContains);
  EXPECT_EQ(f0.values, std::vector<std::string>{"x"});
  EXPECT_FALSE(f0.ip);
  const auto& f1 = StageAs<LineFilter>(s, 1);
  EXPECT_EQ(f1.op, LineFilterOp::kNotContains);
  EXPECT_EQ(f1.values, (std::vector<std::string>{"y", "z"}));
  const auto& f2 = StageAs<LineFilter>(s, 2);
  EXPECT_EQ(f2.op, LineFilterOp::kRegexMatch);
  EXPECT_EQ(f2.values, (std::vector<std::string>{"r1", "r\\2"}));
  EXPECT_EQ(StageAs<LineFilter>(s, 3).op, LineFilterOp::kRegexNoMatch);
  EXPECT_EQ(StageAs<LineFilter>(s, 4).op, LineFilterOp::kPatternMatch);
  EXPECT_EQ(StageAs<LineFilter>(s, 5).op, LineFilterOp::kPatternNoMatch);
  const auto& f6 = StageAs<LineFilter>(s, 6);
  EXPECT_TRUE(f6.ip);
  EXPECT_EQ(f6.values, std::vector<std::string>{"10.0.0.0/8"});
}

TEST(LogqlParserTest, ParserStages) {
  ExprPtr e = MustParse(
      R"q({a="b"} | json | json x, y="a.b[0]" | logfmt --keep-empty | logfmt --strict z="k" | regexp "(?P<n>\\d+)" | pattern "<ip> <_>" | unpack)q");
  ASSERT_NE(e, nullptr);
  const LogSelector& s = As<LogSelector>(*e);
  ASSERT_EQ(s.stages.size(), 7u);
  EXPECT_EQ(StageAs<Parser>(s, 0).kind, ParserKind::kJson);
  EXPECT_TRUE(StageAs<Parser>(s, 0).params.empty());
  const Parser& json = StageAs<Parser>(s, 1);
  ASSERT_EQ(json.params.size(), 2u);
  EXPECT_EQ(json.params[0].label, "x");
  EXPECT_EQ(json.params[0].expression, "");
  EXPECT_EQ(json.params[1].label, "y");
  EXPECT_EQ(json.params[1].expression, "a.b[0]");
  const Parser& logfmt = StageAs<Parser>(s, 2);
  EXPECT_EQ(logfmt.kind, ParserKind::kLogfmt);
  EXPECT_FALSE(logfmt.strict);
  EXPECT_TRUE(logfmt.keep_empty);
  const Parser& strict = StageAs<Parser>(s, 3);
  EXPECT_TRUE(strict.strict);
  ASSERT_EQ(strict.params.size(), 1u);
  EXPECT_EQ(strict.params[0].expression, "k");
  EXPECT_EQ(StageAs<Parser>(s, 4).kind, ParserKind::kRegexp);
  EXPECT_EQ(StageAs<Parser>(s, 4).argument, "(?P<n>\\d+)");
  EXPECT_EQ(StageAs<Parser>(s, 5).kind, ParserKind::kPattern);
  EXPECT_EQ(StageAs<Parser>(s, 5).argument, "<ip> <_>");
  EXPECT_EQ(StageAs<Parser>(s, 6).kind, ParserKind::kUnpack);
}

TEST(LogqlParserTest, FormattingStages) {
  ExprPtr e = MustParse(
      R"({a="b"} | line_format "{{.x}}" | label_format t="{{.y}}", dst=src | drop a, b="v", c=~"x.+" | keep d | decolorize)");
  ASSERT_NE(e, nullptr);
  const LogSelector& s = As<LogSelector>(*e);
  ASSERT_EQ(s.stages.size(), 5u);
  EXPECT_EQ(StageAs<LineFormat>(s, 0).template_text, "{{.x}}");
  const LabelFormat& lf = StageAs<LabelFormat>(s, 1);
  ASSERT_EQ(lf.items.size(), 2u);
  EXPECT_EQ(lf.items[0].label, "t");
  EXPECT_EQ(lf.items[0].value, "{{.y}}");
  EXPECT_FALSE(lf.items[0].rename);
  EXPECT_EQ(lf.items[1].label, "dst");
  EXPECT_EQ(lf.items[1].value, "src");
  EXPECT_TRUE(lf.items[1].rename);
  const DropKeep& drop = StageAs<DropKeep>(s, 2);
  EXPECT_FALSE(drop.keep);
  ASSERT_EQ(drop.items.size(), 3u);
  EXPECT_EQ(drop.items[0].label, "a");
  EXPECT_FALSE(drop.items[0].matcher.has_value());
  ASSERT_TRUE(drop.items[1].matcher.has_value());
  EXPECT_EQ(drop.items[1].label, "b");
  EXPECT_EQ(drop.items[1].matcher->value(), "v");
  ASSERT_TRUE(drop.items[2].matcher.has_value());
  EXPECT_TRUE(drop.items[2].matcher->Matches("xy"));
  EXPECT_FALSE(drop.items[2].matcher->Matches("x"));
  const DropKeep& keep = StageAs<DropKeep>(s, 3);
  EXPECT_TRUE(keep.keep);
  ASSERT_EQ(keep.items.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Decolorize>(s.stages[4].node));
}

TEST(LogqlParserTest, LabelFilterComparisons) {
  ExprPtr e = MustParse(
      R"({a="b"} | s="x" | r=~"a.*" | n>=-2.5 | m==200 | d<1m30s | z>20MB | k<=1KiB | i!=ip("1.2.3.4") | e=5)");
  ASSERT_NE(e, nullptr);
  const LogSelector& s = As<LogSelector>(*e);
  ASSERT_EQ(s.stages.size(), 9u);
  auto cmp = [&](size_t i) -> const LabelComparison& {
    const LabelFilterExpr& f = FilterAt(s, i);
    EXPECT_EQ(f.kind, LabelFilterExpr::Kind::kComparison);
    return f.comparison;
  };
  EXPECT_EQ(cmp(0).label, "s");
  EXPECT_EQ(cmp(0).kind, LiteralKind::kString);
  EXPECT_EQ(cmp(0).op, CompareOp::kEqual);
  EXPECT_EQ(cmp(0).text, "x");
  EXPECT_EQ(cmp(1).op, CompareOp::kRegexMatch);
  EXPECT_EQ(cmp(1).text, "a.*");
  EXPECT_EQ(cmp(2).kind, LiteralKind::kNumber);
  EXPECT_EQ(cmp(2).op, CompareOp::kGreaterEqual);
  EXPECT_EQ(cmp(2).number, -2.5);
  EXPECT_EQ(cmp(2).text, "-2.5");
  EXPECT_EQ(cmp(3).op, CompareOp::kEqual);
  EXPECT_EQ(cmp(3).number, 200);
  EXPECT_EQ(cmp(4).kind, LiteralKind::kDuration);
  EXPECT_EQ(cmp(4).op, CompareOp::kLess);
  EXPECT_EQ(cmp(4).number, 90);
  EXPECT_EQ(cmp(4).text, "1m30s");
  EXPECT_EQ(cmp(5).kind, LiteralKind::kBytes);
  EXPECT_EQ(cmp(5).number, 20e6);
  EXPECT_EQ(cmp(6).kind, LiteralKind::kBytes);
  EXPECT_EQ(cmp(6).op, CompareOp::kLessEqual);
  EXPECT_EQ(cmp(6).number, 1024);
  EXPECT_EQ(cmp(7).kind, LiteralKind::kIp);
  EXPECT_EQ(cmp(7).op, CompareOp::kNotEqual);
  EXPECT_EQ(cmp(7).text, "1.2.3.4");
  EXPECT_EQ(cmp(8).kind, LiteralKind::kNumber);
  EXPECT_EQ(cmp(8).op, CompareOp::kEqual);
}

TEST(LogqlParserTest, LabelFilterTreesFollowLokisPrecedence) {
  // `and` binds tighter than `or`; `,` and juxtaposition nest to the right.
  ExprPtr e = MustParse(R"({a="b"} | x="1" or y="2" and z="3" | (p="1" or q="2"), r="3")");
  ASSERT_NE(e, nullptr);
  const LogSelector& s = As<LogSelector>(*e);
  const LabelFilterExpr& f = FilterAt(s, 0);
  ASSERT_EQ(f.kind, LabelFilterExpr::Kind::kOr);
  EXPECT_EQ(f.lhs->comparison.label, "x");
  ASSERT_EQ(f.rhs->kind, LabelFilterExpr::Kind::kAnd);
  EXPECT_FALSE(f.rhs->comma);
  EXPECT_EQ(f.rhs->lhs->comparison.label, "y");
  EXPECT_EQ(f.rhs->rhs->comparison.label, "z");
  const LabelFilterExpr& g = FilterAt(s, 1);
  ASSERT_EQ(g.kind, LabelFilterExpr::Kind::kAnd);
  EXPECT_TRUE(g.comma);
  EXPECT_EQ(g.lhs->kind, LabelFilterExpr::Kind::kOr);
  EXPECT_TRUE(g.lhs->parenthesized);
  EXPECT_EQ(g.rhs->comparison.label, "r");
}

TEST(LogqlParserTest, RangeAggregations) {
  ExprPtr e = MustParse(
      R"(quantile_over_time(0.95, {a="b"} | json | unwrap duration(latency) | __error__="" [5m] offset 1h) by (path))");
  ASSERT_NE(e, nullptr);
  const auto& r = As<RangeAggregation>(*e);
  EXPECT_EQ(r.op, RangeOp::kQuantileOverTime);
  ASSERT_TRUE(r.param.has_value());
  EXPECT_EQ(*r.param, 0.95);
  EXPECT_EQ(r.range.range_ns, 300'000'000'000);
  EXPECT_EQ(r.range.offset_ns, 3'600'000'000'000);
  EXPECT_TRUE(r.range.range_after_pipeline);
  ASSERT_EQ(r.range.selector.stages.size(), 1u);
  ASSERT_TRUE(r.range.unwrap.has_value());
  EXPECT_EQ(r.range.unwrap->label, "latency");
  EXPECT_EQ(r.range.unwrap->conversion, Unwrap::Conversion::kDuration);
  ASSERT_EQ(r.range.unwrap->post_filters.size(), 1u);
  EXPECT_EQ(r.range.unwrap->post_filters[0]->comparison.label, "__error__");
  EXPECT_TRUE(r.grouping_given);
  EXPECT_FALSE(r.without);
  EXPECT_EQ(r.grouping, std::vector<std::string>{"path"});

  ExprPtr first = MustParse(R"(sum_over_time({a="b"}[1m] offset -5m | logfmt | unwrap bytes(x)))");
  ASSERT_NE(first, nullptr);
  const auto& f = As<RangeAggregation>(*first);
  EXPECT_FALSE(f.range.range_after_pipeline);
  EXPECT_EQ(f.range.range_ns, 60'000'000'000);
  EXPECT_EQ(f.range.offset_ns, -300'000'000'000);
  EXPECT_EQ(f.range.selector.stages.size(), 1u);
  ASSERT_TRUE(f.range.unwrap.has_value());
  EXPECT_EQ(f.range.unwrap->conversion, Unwrap::Conversion::kBytes);
  EXPECT_FALSE(f.grouping_given);

  ExprPtr rate = MustParse(R"(rate({a="b"}[5m]))");
  ASSERT_NE(rate, nullptr);
  EXPECT_FALSE(As<RangeAggregation>(*rate).range.unwrap.has_value());
  EXPECT_FALSE(As<RangeAggregation>(*rate).param.has_value());
}

TEST(LogqlParserTest, VectorAggregations) {
  ExprPtr e = MustParse(R"(topk by (a, b) (5, sum without (c) (rate({a="b"}[1m]))))");
  ASSERT_NE(e, nullptr);
  const auto& top = As<VectorAggregation>(*e);
  EXPECT_EQ(top.op, VectorAggregation::Op::kTopk);
  ASSERT_TRUE(top.param.has_value());
  EXPECT_EQ(*top.param, 5);
  EXPECT_TRUE(top.grouping_given);
  EXPECT_EQ(top.grouping, (std::vector<std::string>{"a", "b"}));
  const auto& sum = As<VectorAggregation>(*top.expr);
  EXPECT_EQ(sum.op, VectorAggregation::Op::kSum);
  EXPECT_TRUE(sum.without);
  EXPECT_FALSE(sum.param.has_value());
  EXPECT_EQ(As<RangeAggregation>(*sum.expr).op, RangeOp::kRate);

  ExprPtr plain = MustParse(R"(sort_desc(count_over_time({a="b"}[1m])))");
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(As<VectorAggregation>(*plain).op, VectorAggregation::Op::kSortDesc);
  EXPECT_FALSE(As<VectorAggregation>(*plain).grouping_given);
}

TEST(LogqlParserTest, BinaryOperations) {
  ExprPtr e = MustParse(
      R"(sum(rate({a="b"}[1m])) / on (x, y) group_left (z) sum(rate({a="b"}[1m])) > bool 1)");
  ASSERT_NE(e, nullptr);
  const auto& cmp = As<Binary>(*e);
  EXPECT_EQ(cmp.op, promql::BinaryOp::kGtr);
  EXPECT_TRUE(cmp.return_bool);
  // A literal operand: no vector matching.
  EXPECT_FALSE(cmp.matching.has_value());
  EXPECT_EQ(As<Number>(*cmp.rhs).value, 1);
  const auto& div = As<Binary>(*cmp.lhs);
  EXPECT_EQ(div.op, promql::BinaryOp::kDiv);
  ASSERT_TRUE(div.matching.has_value());
  EXPECT_TRUE(div.matching->on);
  EXPECT_EQ(div.matching->matching_labels, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(div.matching->include, std::vector<std::string>{"z"});
  EXPECT_EQ(div.matching->cardinality, promql::VectorMatching::Cardinality::kManyToOne);

  ExprPtr set = MustParse(R"(rate({a="b"}[1m]) unless ignoring (q) rate({c="d"}[1m]))");
  ASSERT_NE(set, nullptr);
  const auto& unless = As<Binary>(*set);
  ASSERT_TRUE(unless.matching.has_value());
  EXPECT_FALSE(unless.matching->on);
  EXPECT_EQ(unless.matching->cardinality, promql::VectorMatching::Cardinality::kManyToMany);

  // Precedence: or < and < comparisons < +- < */% < ^ (right-associative).
  ExprPtr p = MustParse(R"(vector(1) + vector(2) * vector(3) ^ vector(4) ^ vector(5))");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(ToString(*p),
            "(vector(1.000000) + (vector(2.000000) * (vector(3.000000) ^ (vector(4.000000) ^ "
            "vector(5.000000)))))");
  ExprPtr left = MustParse(R"(vector(1) - vector(2) - vector(3))");
  ASSERT_NE(left, nullptr);
  EXPECT_EQ(ToString(*left), "((vector(1.000000) - vector(2.000000)) - vector(3.000000))");
}

TEST(LogqlParserTest, LiteralsFold) {
  ExprPtr e = MustParse("(2 + 3) * 4 - -1");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(As<Number>(*e).value, 21);
  ExprPtr div = MustParse("1 / 0");
  ASSERT_NE(div, nullptr);
  EXPECT_TRUE(std::isnan(As<Number>(*div).value));  // Loki's division by zero
  EXPECT_EQ(ToString(*div), "NaN");
  ExprPtr v = MustParse("vector(2.5)");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(As<VectorLiteral>(*v).value, 2.5);
}

TEST(LogqlParserTest, LabelReplace) {
  ExprPtr e = MustParse(R"(label_replace(rate({a="b"}[1m]), "dst", "$1-x", "src", "(.*)-.*"))");
  ASSERT_NE(e, nullptr);
  const auto& lr = As<LabelReplace>(*e);
  EXPECT_EQ(lr.dst, "dst");
  EXPECT_EQ(lr.replacement, "$1-x");
  EXPECT_EQ(lr.src, "src");
  EXPECT_EQ(lr.regex, "(.*)-.*");
  EXPECT_EQ(As<RangeAggregation>(*lr.expr).op, RangeOp::kRate);
}

TEST(LogqlParserTest, ParsesDurations) {
  struct Case {
    std::string_view text;
    int64_t ns;
  };
  constexpr int64_t kS = 1'000'000'000;
  for (const Case& c : {Case{"1h30m", 5400 * kS}, Case{"500ms", kS / 2}, Case{"2d", 2 * 86400 * kS},
                        Case{"1w", 7 * 86400 * kS}, Case{"1y", 365 * 86400 * kS},
                        Case{"1.5h", 5400 * kS}, Case{"-5m", -300 * kS}, Case{"250us", 250'000},
                        Case{"10ns", 10}, Case{"0", 0}, Case{"1m30s", 90 * kS}}) {
    Result<int64_t> d = ParseDuration(c.text);
    ASSERT_TRUE(d.ok()) << c.text << ": " << d.status().message();
    EXPECT_EQ(*d, c.ns) << c.text;
  }
  EXPECT_EQ(ParseDuration("").status().message(), "time: invalid duration \"\"");
  EXPECT_EQ(ParseDuration("5x").status().message(), "time: unknown unit \"x\" in duration \"5x\"");
  EXPECT_EQ(ParseDuration("1h30").status().message(), "time: missing unit in duration \"1h30\"");
  EXPECT_FALSE(ParseDuration("300y").ok());
}

TEST(LogqlParserTest, ParsesMatchers) {
  Result<storage::LabelMatchers> m = ParseMatchers(R"({a="b", c=~"d.*"})", true);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[1].op(), storage::MatchOp::kRegexMatch);
  EXPECT_EQ(ParseMatchers(R"({a="b"} | json)", true).status().message(),
            "only label matchers are supported");
  EXPECT_EQ(ParseMatchers(R"(rate({a="b"}[1m]))", true).status().message(),
            "only label matchers are supported");
  EXPECT_TRUE(ParseMatchers("{}", false).ok());
  EXPECT_FALSE(ParseMatchers("{}", true).ok());
}

TEST(LogqlParserTest, LimitsNestingAndSize) {
  std::string deep(300, '(');
  deep += "vector(1)";
  deep += std::string(300, ')');
  Result<ExprPtr> r = ParseExpr(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested more than 256 levels"), std::string::npos)
      << r.status().message();
  std::string ok(100, '(');
  ok += "vector(1)";
  ok += std::string(100, ')');
  EXPECT_TRUE(ParseExpr(ok).ok());

  std::string chain = "vector(1)";
  for (int i = 0; i < 1100; ++i) chain += " + vector(1)";
  r = ParseExpr(chain);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested more than 1024 levels"), std::string::npos);

  std::string filters = R"({a="b"} |)";
  for (int i = 0; i < 1100; ++i) filters += " x=\"1\"";
  r = ParseExpr(filters);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested more than 1024 levels"), std::string::npos);

  std::string powers = "vector(1)";
  for (int i = 0; i < 300; ++i) powers += " ^ vector(1)";
  EXPECT_FALSE(ParseExpr(powers).ok());

  std::string big = R"({a="b"} |= ")" + std::string(131072, 'x') + "\"";
  EXPECT_EQ(ParseExpr(big).status().message(),
            "parse error : input size too long (131085 > 131072)");
}

TEST(LogqlParserTest, PrintsHandBuiltTrees) {
  // What other parts of Sluice build: Paren nodes print without parentheses (as Loki drops
  // them), and stages print on their own.
  auto expr = std::make_unique<Expr>();
  Paren paren;
  paren.expr = std::make_unique<Expr>();
  paren.expr->node = Number{2};
  expr->node = std::move(paren);
  EXPECT_EQ(ToString(*expr), "2");

  LineFilter lf;
  lf.op = LineFilterOp::kRegexNoMatch;
  lf.values = {"a", "b"};
  EXPECT_EQ(ToString(Stage{lf}), R"(!~ "a" !~ "b")");
  lf.op = LineFilterOp::kContains;
  lf.ip = true;
  EXPECT_EQ(ToString(Stage{lf}), R"(|= ip("a") or ip("b"))");

  LabelFilterExpr cmp;
  cmp.comparison.label = "latency";
  cmp.comparison.op = CompareOp::kGreater;
  cmp.comparison.kind = LiteralKind::kDuration;
  cmp.comparison.number = 1.5;  // no text: printed from the value
  EXPECT_EQ(ToString(cmp), "latency>1.5s");
  cmp.comparison.kind = LiteralKind::kBytes;
  cmp.comparison.number = 5 * 1024 * 1024;
  EXPECT_EQ(ToString(cmp), "latency>5.2MB");
  cmp.comparison.number = 2e18;  // Loki's EB does not lex; PB does
  EXPECT_EQ(ToString(cmp), "latency>2000PB");
}

TEST(LogqlParserTest, EnumNames) {
  EXPECT_EQ(LineFilterOpString(LineFilterOp::kPatternNoMatch), "!>");
  EXPECT_EQ(ParserKindString(ParserKind::kUnpack), "unpack");
  EXPECT_EQ(CompareOpString(CompareOp::kRegexNoMatch), "!~");
  EXPECT_EQ(RangeOpString(RangeOp::kRateCounter), "rate_counter");
  EXPECT_EQ(VectorAggregationOpString(VectorAggregation::Op::kSortDesc), "sort_desc");
  for (RangeOp op :
       {RangeOp::kSumOverTime, RangeOp::kAvgOverTime, RangeOp::kMaxOverTime, RangeOp::kMinOverTime,
        RangeOp::kStddevOverTime, RangeOp::kStdvarOverTime, RangeOp::kQuantileOverTime,
        RangeOp::kFirstOverTime, RangeOp::kLastOverTime, RangeOp::kRateCounter}) {
    EXPECT_TRUE(RangeOpNeedsUnwrap(op)) << RangeOpString(op);
  }
  for (RangeOp op : {RangeOp::kCountOverTime, RangeOp::kRate, RangeOp::kBytesOverTime,
                     RangeOp::kBytesRate, RangeOp::kAbsentOverTime}) {
    EXPECT_FALSE(RangeOpNeedsUnwrap(op)) << RangeOpString(op);
  }
}

TEST(LogqlParserLexerTest, TokensAndPositions) {
  Lexer lexer("sum by(a) (rate({x=~\"y\"}[5m]))\n | json --strict 20MB -5m");
  std::vector<std::pair<TokenType, std::string>> got;
  std::vector<std::pair<int, int>> where;
  for (Token t = lexer.Next(); t.type != TokenType::kEof; t = lexer.Next()) {
    got.emplace_back(t.type, std::string(t.text));
    where.emplace_back(t.line, t.column);
  }
  std::vector<std::pair<TokenType, std::string>> want = {
      {TokenType::kSum, "sum"},
      {TokenType::kBy, "by"},
      {TokenType::kLeftParen, "("},
      {TokenType::kIdentifier, "a"},
      {TokenType::kRightParen, ")"},
      {TokenType::kLeftParen, "("},
      {TokenType::kRate, "rate"},
      {TokenType::kLeftParen, "("},
      {TokenType::kLeftBrace, "{"},
      {TokenType::kIdentifier, "x"},
      {TokenType::kRe, "=~"},
      {TokenType::kString, "\"y\""},
      {TokenType::kRightBrace, "}"},
      {TokenType::kRange, "[5m]"},
      {TokenType::kRightParen, ")"},
      {TokenType::kRightParen, ")"},
      {TokenType::kPipe, "|"},
      {TokenType::kJson, "json"},
      {TokenType::kParserFlag, "--strict"},
      {TokenType::kBytes, "20MB"},
      {TokenType::kDuration, "-5m"},
  };
  EXPECT_EQ(got, want);
  ASSERT_EQ(where.size(), want.size());
  EXPECT_EQ(where[0], std::make_pair(1, 1));
  EXPECT_EQ(where[10], std::make_pair(0, 19));  // =~: Loki's lexer loses the line
  EXPECT_EQ(where[11], std::make_pair(1, 21));
  EXPECT_EQ(where[16], std::make_pair(2, 2));
  EXPECT_EQ(TokenName(TokenType::kCountOverTime), "COUNT_OVER_TIME");
  EXPECT_EQ(TokenName(TokenType::kLabelFmt), "label_format");
  EXPECT_EQ(TokenName(TokenType::kEof), "$end");
}

}  // namespace
}  // namespace sluice::query::logql
