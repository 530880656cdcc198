// Cases for promql_parser_test.cc, one per line, each answered by Prometheus 2.42 itself
// (/api/v1/format_query of /usr/bin/prometheus): `query  ==>  what Prometheus prints`, or the
// query alone when it prints back unchanged; for invalid queries, the error after the arrow.
#pragma once

#include <string_view>

namespace sluice::query::promql::testdata {

inline constexpr std::string_view kValidCases = R"cases(
up
up{job="api"}
up{job="api",instance=~"10\\..*"}  ==>  up{instance=~"10\\..*",job="api"}
{__name__="up"}
{__name__=~"up|down"}
{__name__="up", job="x"}  ==>  {__name__="up",job="x"}
up{}  ==>  up
job:request_rate:5m
rate(http_requests_total[5m])
rate(http_requests_total{job="api"}[5m] offset 1h)
rate(x[5m] @ 100)  ==>  rate(x[5m] @ 100.000)
rate(x[5m] @ start())
rate(x[5m] @ end() offset -5m)
x offset -1h30m
x offset 1y
x offset 2w
x offset 14d  ==>  x offset 2w
x offset 90d
x offset 1h1ms
x offset 100ms
x @ 1609746000  ==>  x @ 1609746000.000
x @ 1609746000.5  ==>  x @ 1609746000.500
x @ -10  ==>  x @ -10.000
x @ +10  ==>  x @ 10.000
x offset 5m @ 100  ==>  x @ 100.000 offset 5m
x @ 100 offset 5m  ==>  x @ 100.000 offset 5m
sum(x)
sum by (job) (x)
sum(x) by (job)  ==>  sum by (job) (x)
sum without (job) (x)
sum(x) without (job, instance)  ==>  sum without (job, instance) (x)
avg(x)
min(x)
max(x)
count(x)
group(x)
stddev(x)
stdvar(x)
topk(5, x)
bottomk(5, x)
quantile(0.9, x)
count_values("v", x)
topk by (a) (5, x)
count_values without (a) ('v', x)  ==>  count_values without (a) ("v", x)
SUM(x)  ==>  sum(x)
Sum BY (a) (x)  ==>  sum by (a) (x)
sum
sum{a="b"}
by
offset
start
end
and
without{a="b"}
x + y
x - y
x * y
x / y
x % y
x ^ y
x atan2 y
x == y
x != y
x > y
x < y
x >= y
x <= y
x and y
x or y
x unless y
x == bool y
1 == bool 2
x > bool 1
x + on(a) y  ==>  x + on (a) y
x + on(a, b) y  ==>  x + on (a, b) y
x + ignoring(a) y  ==>  x + ignoring (a) y
x + on() y  ==>  x + on () y
x + ignoring() y  ==>  x + y
x * on(a) group_left y  ==>  x * on (a) group_left () y
x * on(a) group_left(b) y  ==>  x * on (a) group_left (b) y
x * on(a) group_right(b, c) y  ==>  x * on (a) group_right (b, c) y
x * ignoring(a) group_right y  ==>  x * ignoring (a) group_right () y
x and on(a) y  ==>  x and on (a) y
x or ignoring(b) y  ==>  x or ignoring (b) y
x unless on() y  ==>  x unless on () y
x > bool on(a) group_left(b) y  ==>  x > bool on (a) group_left (b) y
1 + 2 * 3
(1 + 2) * 3
1 + 2 - 3
1 - 2 - 3
2 ^ 3 ^ 2
(2 ^ 3) ^ 2
-2 ^ 2
-x ^ 2
-x * 2
- x  ==>  -x
+x
--x
-(x)
-1
+1  ==>  1
- -1  ==>  1
-(-1)
1 * -1
2 ^ -1
x or y and z
x and y or z
x unless y or z
x == y + 1
x + y == z
x * y + z / w
x + y * z
a or b or c
a and b and c
x atan2 y * z
x * y atan2 z
1e3  ==>  1000
1E-3  ==>  0.001
.5  ==>  0.5
5.  ==>  5
0x1F  ==>  31
0X1f  ==>  31
010  ==>  8
08  ==>  8
Inf  ==>  +Inf
-Inf
+Inf
NaN
inf  ==>  +Inf
nan  ==>  NaN
1e6  ==>  1e+06
123456
1234567  ==>  1.234567e+06
0.0001
0.00001  ==>  1e-05
1.5e300  ==>  1.5e+300
-0
"string"
'single'  ==>  "single"
`raw\n`  ==>  "raw\\n"
"esc\n\t\"\\"
'it\'s'  ==>  "it's"
"\x41\u00e9\U0001F600"  ==>  "Aé😀"
"\101"  ==>  "A"
'a"b'  ==>  "a\"b"
"é"
abs(x)
absent(nothing)
absent_over_time(x[5m])
ceil(x)
changes(x[5m])
clamp(x, 0, 1)
clamp_max(x, 1)
clamp_min(x, 0)
day_of_month()
day_of_month(x)
day_of_week()
day_of_year(x)
days_in_month()
delta(x[5m])
deriv(x[5m])
exp(x)
floor(x)
histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))
holt_winters(x[5m], 0.5, 0.5)
hour()
idelta(x[5m])
increase(x[1h])
irate(x[5m])
label_join(x, "dst", ",", "a", "b", "c")
label_replace(x, "dst", "$1", "src", "(.*)")
ln(x)
log2(x)
log10(x)
minute()
month()
predict_linear(x[5m], 3600)
rate(x[5m])
resets(x[5m])
round(x)
round(x, 0.5)
scalar(x)
sgn(x)
sort(x)
sort_desc(x)
sqrt(x)
time()
timestamp(x)
vector(1)
year()
avg_over_time(x[5m])
min_over_time(x[5m])
max_over_time(x[5m])
sum_over_time(x[5m])
count_over_time(x[5m])
quantile_over_time(0.5, x[5m])
stddev_over_time(x[5m])
stdvar_over_time(x[5m])
last_over_time(x[5m])
present_over_time(x[5m])
acos(x)
acosh(x)
asin(x)
asinh(x)
atan(x)
atanh(x)
cos(x)
cosh(x)
sin(x)
sinh(x)
tan(x)
tanh(x)
deg(x)
rad(x)
pi()
x[5m:1m]
x[5m:]
rate(x[5m])[30m:1m]
max_over_time(rate(x[5m])[1h:])
x[5m:1m] offset 1h
x[5m:1m] @ 100  ==>  x[5m:1m] @ 100.000
x[5m:1m] @ end() offset 10m
sum(x)[5m:]
(x)[5m:]
x[1h30m]
x[90m]  ==>  x[1h30m]
x[3600s]  ==>  x[1h]
x[1d]
x[7d]  ==>  x[1w]
x[1w]
x[365d]  ==>  x[1y]
x[1y1d]  ==>  x[366d]
sum(rate(x[5m])) by (job) / on(job) group_left sum(rate(y[5m])) by (job)  ==>  sum by (job) (rate(x[5m])) / on (job) group_left () sum by (job) (rate(y[5m]))
x # comment  ==>  x
foo{a="\\"}
foo{a!="b",c!~"d"}
foo{a=~"",b=""}
foo{z="1",a="2",m="3"}  ==>  foo{a="2",m="3",z="1"}
foo{a="x",a="y"}
{a=~".+"}
{a!=""}
{a!~""}
sum by (sum, by, on, group_left, bool, offset, start, end, atan2, and) (x)
x + on(sum) y  ==>  x + on (sum) y
foo{a="b",}  ==>  foo{a="b"}
sum(x) by (a,)  ==>  sum by (a) (x)
foo + on(a) group_left bar  ==>  foo + on (a) group_left () bar
foo @ start()[5m]  ==>  foo[5m] @ start()
rate(foo[5m])[5m:]
label_join(x, "a", "b")
x[1y]
foo # comment  ==>  foo
foo{a="b"}[5m] offset 1h @ 100  ==>  foo{a="b"}[5m] @ 100.000 offset 1h
1 + - 2  ==>  1 + -2
--1  ==>  1
- - foo  ==>  --foo
foo == bool bar
sum(foo) without ()  ==>  sum without () (foo)
sum without (a) (foo)
foo[5m x]  ==>  foo[5m:]
foo @ 1e16  ==>  foo @ -9223372036854776.000
1e-400  ==>  0
sum by () (x)  ==>  sum(x)
123456789  ==>  1.23456789e+08
1 + foo offset 5m
foo + ignoring(a) group_left(b) bar  ==>  foo + ignoring (a) group_left (b) bar
foo + ignoring() group_left bar  ==>  foo + bar
1 + ignoring() group_left foo  ==>  1 + foo
foo[ 5m ]  ==>  foo[5m]
foo[5m ]  ==>  foo[5m]
foo[5m : 1m]  ==>  foo[5m:1m]
foo @ 9.3e15  ==>  foo @ -9223372036854776.000
x @ start() [5m]  ==>  x[5m] @ start()
x offset 5m [5m:]  ==>  x offset 5m[5m:]
x{a=~"b",}  ==>  x{a=~"b"}
sum(x) by ()  ==>  sum(x)
x * ignoring(a) group_left(a) y  ==>  x * ignoring (a) group_left (a) y
x + on(a,) y  ==>  x + on (a) y
x ++ y  ==>  x + +y
x +- y  ==>  x + -y
x{}  ==>  x
{__name__="a", __name__="b"}  ==>  {__name__="a",__name__="b"}
09.5  ==>  9.5
99999999999999999999  ==>  1e+20
x[106751d]
x[292y]
x @ 9223372036854775  ==>  x @ -9223372036854776.000
x @ 9223372036854776  ==>  x @ -9223372036854776.000
x @ 0x10  ==>  x @ 16.000
x @ 1e3  ==>  x @ 1000.000
x @ .5  ==>  x @ 0.500
x @ start ( )  ==>  x @ start()
x @ end ( )  ==>  x @ end()
x @ START()  ==>  x @ start()
sum(x) BY (a)  ==>  sum by (a) (x)
x AND y  ==>  x and y
x And y  ==>  x and y
x + ON(a) GROUP_LEFT(b) y  ==>  x + on (a) group_left (b) y
x == BOOL y  ==>  x == bool y
x # comment with "quotes  ==>  x
)cases";

inline constexpr std::string_view kInvalidCases = R"cases(
1[5m:]  ==>  1:1: parse error: subquery is only allowed on instant vector, got scalar instead
sum(  ==>  1:5: parse error: unclosed left parenthesis
)  ==>  1:2: parse error: unexpected right parenthesis ')'
x{a="b" # c  ==>  1:12: parse error: unexpected end of input inside braces
}  ==>  1:1: parse error: unexpected character: '}'
x and bool y  ==>  1:3: parse error: bool modifier can only be used on comparison operators
foo +  ==>  1:6: parse error: unexpected end of input
foo{  ==>  1:5: parse error: unexpected end of input inside braces
foo{a  ==>  1:6: parse error: unexpected end of input inside braces
foo{a=  ==>  1:7: parse error: unexpected end of input inside braces
foo{a="b"  ==>  1:10: parse error: unexpected end of input inside braces
foo{a="b" c  ==>  1:11: parse error: unexpected identifier "c" in label matching, expected "," or "}"
foo{,}  ==>  1:5: parse error: unexpected "," in label matching, expected identifier or "}"
{}  ==>  1:1: parse error: vector selector must contain at least one non-empty matcher
{a=""}  ==>  1:1: parse error: vector selector must contain at least one non-empty matcher
{a=~".*"}  ==>  1:1: parse error: vector selector must contain at least one non-empty matcher
foo{a=~"("}  ==>  1:5: parse error: error parsing regexp: missing closing ): `^(?:()$`
rate(foo)  ==>  1:6: parse error: expected type range vector in call to function "rate", got instant vector
rate(foo[5m], 1)  ==>  1:1: parse error: expected 1 argument(s) in call to "rate", got 2
foo(bar)  ==>  1:1: parse error: unknown function with name "foo"
sum by (a  ==>  1:10: parse error: unclosed left parenthesis
sum by a (x)  ==>  1:8: parse error: unexpected identifier "a" in grouping opts, expected "("
sum(x) by (1)  ==>  1:12: parse error: unexpected number "1" in grouping opts, expected label
topk(x)  ==>  1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1
topk(x, y)  ==>  1:6: parse error: expected type scalar in aggregation parameter, got instant vector
count_values(1, x)  ==>  1:14: parse error: expected type string in aggregation parameter, got scalar
quantile("a", x)  ==>  1:10: parse error: expected type scalar in aggregation parameter, got string
1 == 2  ==>  1:3: parse error: comparisons between scalars must use BOOL modifier
1 and 2  ==>  1:1: parse error: set operator "and" not allowed in binary scalar expression
foo and 1  ==>  1:1: parse error: set operator "and" not allowed in binary scalar expression
foo + on(a) 1  ==>  1:1: parse error: vector matching only allowed between instant vectors
1 + on(a) foo  ==>  1:1: parse error: vector matching only allowed between instant vectors
foo and on(a) group_left bar  ==>  1:1: parse error: no grouping allowed for "and" operation
foo{a="b"} offset 5m offset 5m  ==>  1:1: parse error: offset may not be set multiple times
foo @ 1 @ 2  ==>  1:1: parse error: @ <timestamp> may not be set multiple times
foo[5m] offset  ==>  1:15: parse error: unexpected end of input in offset, expected duration
foo offset  ==>  1:11: parse error: unexpected end of input in offset, expected duration
foo @  ==>  1:6: parse error: unexpected end of input in @, expected timestamp
foo @ start  ==>  1:12: parse error: unexpected end of input in @, expected timestamp
foo offset 5m [5m]  ==>  1:15: parse error: no offset modifiers allowed before range
(foo)[5m]  ==>  1:6: parse error: ranges only allowed for vector selectors
rate(foo[5m])[5m]  ==>  1:14: parse error: ranges only allowed for vector selectors
foo[5m][5m:1m]  ==>  1:1: parse error: subquery is only allowed on instant vector, got matrix instead
"a" + 1  ==>  1:1: parse error: binary expression must contain only scalar and instant vector types
-"a"  ==>  1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "string"
sum("a")  ==>  1:5: parse error: expected type instant vector in aggregation expression, got string
abs("a")  ==>  1:5: parse error: expected type instant vector in call to function "abs", got string
time(1)  ==>  1:1: parse error: expected 0 argument(s) in call to "time", got 1
label_replace(x, "a", "b", "c")  ==>  1:1: parse error: expected 5 argument(s) in call to "label_replace", got 4
round(x, 1, 2)  ==>  1:1: parse error: expected at most 2 argument(s) in call to "round", got 3
foo[5m] + 1  ==>  1:1: parse error: binary expression must contain only scalar and instant vector types
1 ^  ==>  1:4: parse error: unexpected end of input
(  ==>  1:2: parse error: unclosed left parenthesis
]  ==>  1:1: parse error: unexpected right bracket ']'
[  ==>  1:1: parse error: unexpected "["
foo[  ==>  1:5: parse error: missing unit character in duration
foo[5m  ==>  1:7: parse error: unclosed left bracket
foo[5m:  ==>  1:8: parse error: unclosed left bracket
foo[5m:1m  ==>  1:10: parse error: unclosed left bracket
foo[5m:1m x  ==>  1:11: parse error: unexpected colon 'x'
foo[0m]  ==>  1:5: parse error: duration must be greater than 0
foo[0s:1m]  ==>  1:5: parse error: duration must be greater than 0
foo offset 0s  ==>  1:12: parse error: duration must be greater than 0
foo[5m:0s]  ==>  1:8: parse error: duration must be greater than 0
'abc' + 1  ==>  1:1: parse error: binary expression must contain only scalar and instant vector types
"a\qb"  ==>  1:1: parse error: unknown escape sequence U+0071 'q'
"abc  ==>  1:1: parse error: unterminated quoted string
`abc  ==>  1:1: parse error: unterminated raw string
# only comment  ==>  1:1: parse error: no expression found in input
foo !~ bar  ==>  1:5: parse error: unexpected character after '!': '~'
foo ~ bar  ==>  1:5: parse error: unexpected character: '~'
foo{a!b}  ==>  1:6: parse error: unexpected character after '!' inside braces: 'b'
foo{a=~b}  ==>  1:8: parse error: unexpected identifier "b" in label matching, expected string
foo bool  ==>  1:5: parse error: unexpected <bool>
1 bool 2  ==>  1:3: parse error: unexpected <bool>
foo and bool bar  ==>  1:5: parse error: bool modifier can only be used on comparison operators
avg by (le) (x) by (a)  ==>  1:17: parse error: unexpected <by>
sum x  ==>  1:5: parse error: unexpected identifier "x"
sum(x) y  ==>  1:8: parse error: unexpected identifier "y"
sum by (a) x  ==>  1:12: parse error: unexpected identifier "x" in aggregation
()  ==>  1:2: parse error: unexpected ")"
(foo bar)  ==>  1:6: parse error: unexpected identifier "bar"
rate(foo bar)  ==>  1:10: parse error: unexpected identifier "bar"
sum(rate(foo bar))  ==>  1:14: parse error: unexpected identifier "bar" in aggregation
sum(foo{a=})  ==>  1:11: parse error: unexpected "}" in label matching, expected string
start()  ==>  1:6: parse error: unexpected "("
foo + on(a) group_left ,  ==>  1:24: parse error: unexpected "," in grouping opts, expected "("
foo + on x bar  ==>  1:10: parse error: unexpected identifier "x" in grouping opts, expected "("
sum by (a:b) (x)  ==>  1:9: parse error: unexpected metric identifier "a:b" in grouping opts, expected label
foo @ start(1)  ==>  1:13: parse error: unexpected number "1" in @, expected timestamp
foo offset - 5  ==>  1:14: parse error: unexpected number "5" in offset, expected duration
foo[5m 1]  ==>  1:8: parse error: unexpected number "1" in subquery or range, expected ":" or "]"
foo[5m:1m 1]  ==>  1:11: parse error: unexpected number "1" in subquery selector, expected "]"
@ foo  ==>  1:1: parse error: unexpected "<Item 57385>" <op:@>
foo{__name__="bar"}  ==>  1:1: parse error: metric name must not be set twice: "foo" or "bar"
foo[999999999999y]  ==>  1:5: parse error: duration out of range
0x  ==>  1:1: parse error: error parsing number: strconv.ParseFloat: parsing "0x": invalid syntax
1e400  ==>  1:1: parse error: error parsing number: strconv.ParseFloat: parsing "1e400": value out of range
foo{a=~"a)"}  ==>  1:5: parse error: error parsing regexp: unexpected ): `^(?:a))$`
foo{a=~"[z-a]"}  ==>  1:5: parse error: error parsing regexp: invalid character class range: `z-a`
foo{a=~"a**"}  ==>  1:5: parse error: error parsing regexp: invalid nested repetition operator: `**`
foo{a=~"\\"}  ==>  1:5: parse error: error parsing regexp: missing closing ): `^(?:\)$`
foo{a=~"x{2,1}"}  ==>  1:5: parse error: error parsing regexp: invalid repeat count: `{2,1}`
foo{a=~"(?<n>x)"}  ==>  1:5: parse error: error parsing regexp: invalid or unsupported Perl syntax: `(?<`
foo{a=~"\\8"}  ==>  1:5: parse error: error parsing regexp: invalid escape sequence: `\8`
foo @ 1e20  ==>  1:1: parse error: timestamp out of bounds for @ modifier: 100000000000000000000.000000
sum(x,)  ==>  1:6: parse error: trailing commas not allowed in function call args
sum()  ==>  1:1: parse error: no arguments for aggregate expression provided
rate()  ==>  1:1: parse error: expected 1 argument(s) in call to "rate", got 0
topk(5, rate(x))  ==>  1:14: parse error: expected type range vector in call to function "rate", got instant vector
foo:bar(x)  ==>  1:8: parse error: unexpected "("
-foo[5m]  ==>  1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector"
-1 offset 5m  ==>  1:2: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery
foo and bool on(a) bar  ==>  1:5: parse error: bool modifier can only be used on comparison operators
foo == on(a) bool bar  ==>  1:14: parse error: unexpected <bool>
foo * on(a) group_right(a) bar  ==>  1:5: parse error: label "a" must not occur in ON and GROUP clause at once
foo}  ==>  1:4: parse error: unexpected character: '}'
foo]  ==>  1:4: parse error: unexpected right bracket ']'
foo[5m]]  ==>  1:8: parse error: unexpected right bracket ']'
foo[[5m]]  ==>  1:5: parse error: missing unit character in duration
foo[5m:1m:1m]  ==>  1:10: parse error: unexpected colon ':'
foo[5m::]  ==>  1:8: parse error: unexpected colon ':'
foo[-5m]  ==>  1:5: parse error: missing unit character in duration
foo[5]  ==>  1:5: parse error: missing unit character in duration
foo[5m5]  ==>  1:5: parse error: bad duration syntax: "5m5"
foo[1.5m]  ==>  1:5: parse error: not a valid duration string: "1.5m"
foo[5mm]  ==>  1:5: parse error: bad duration syntax: "5mm"
foo[5hs]  ==>  1:5: parse error: not a valid duration string: "5hs"
foo[5m1y]  ==>  1:5: parse error: bad duration syntax: "5m1"
foo[1s1m]  ==>  1:5: parse error: not a valid duration string: "1s1m"
foo offset 5  ==>  1:12: parse error: unexpected number "5" in offset, expected duration
foo offset 5mm  ==>  1:12: parse error: bad number or duration syntax: "5mm"
foo offset 1m1h  ==>  1:12: parse error: not a valid duration string: "1m1h"
foo offset -0s  ==>  1:13: parse error: duration must be greater than 0
foo offset bar  ==>  1:12: parse error: unexpected identifier "bar" in offset, expected duration
foo @ bar  ==>  1:7: parse error: unexpected identifier "bar" in @, expected timestamp
foo @ start(  ==>  1:13: parse error: unclosed left parenthesis
foo @ start(]  ==>  1:13: parse error: unexpected right bracket ']'
foo @ end  ==>  1:10: parse error: unexpected end of input in @, expected timestamp
foo @ -  ==>  1:8: parse error: unexpected end of input in @, expected timestamp
foo @ NaN  ==>  1:1: parse error: timestamp out of bounds for @ modifier: NaN
foo @ Inf  ==>  1:1: parse error: timestamp out of bounds for @ modifier: +Inf
foo @ -Inf  ==>  1:1: parse error: timestamp out of bounds for @ modifier: -Inf
x @ 1 offset 1m @ 2  ==>  1:1: parse error: @ <timestamp> may not be set multiple times
x offset 1m @ 1 offset 2m  ==>  1:1: parse error: offset may not be set multiple times
rate(x[5m] offset 1m offset 2m)  ==>  1:6: parse error: offset may not be set multiple times
sum(x) offset 5m  ==>  1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery
sum(x) @ 5  ==>  1:1: parse error: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery
"a" offset 5m  ==>  1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery
1 @ 5  ==>  1:1: parse error: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery
(x) @ 5  ==>  1:1: parse error: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery
x[5m] @ 5 @ 6  ==>  1:1: parse error: @ <timestamp> may not be set multiple times
x[5m:] offset 1m offset 2m  ==>  1:1: parse error: offset may not be set multiple times
x[5m:] @ 1 @ 2  ==>  1:1: parse error: @ <timestamp> may not be set multiple times
x @ start() @ 5  ==>  1:1: parse error: @ <timestamp> may not be set multiple times
x @ 5 [5m]  ==>  1:7: parse error: no @ modifiers allowed before range
x{a="b"}{c="d"}  ==>  1:9: parse error: unexpected "{"
x{a="b"  ==>  1:8: parse error: unexpected end of input inside braces
x{a=b}  ==>  1:5: parse error: unexpected identifier "b" in label matching, expected string
x{a}  ==>  1:4: parse error: unexpected "}" in label matching, expected label matching operator
x{a="b" c="d"}  ==>  1:9: parse error: unexpected identifier "c" in label matching, expected "," or "}"
x{"a"="b"}  ==>  1:3: parse error: unexpected string "\"a\"" in label matching, expected identifier or "}"
x{a:b="c"}  ==>  1:4: parse error: unexpected character inside braces: ':'
x{a=~"b",,}  ==>  1:10: parse error: unexpected "," in label matching, expected identifier or "}"
x{,a="b"}  ==>  1:3: parse error: unexpected "," in label matching, expected identifier or "}"
x{=}  ==>  1:3: parse error: unexpected "=" in label matching, expected identifier or "}"
x{a=="b"}  ==>  1:5: parse error: unexpected "=" in label matching, expected string
x{a=~="b"}  ==>  1:6: parse error: unexpected "=" in label matching, expected string
x{a=!"b"}  ==>  1:5: parse error: unexpected character after '!' inside braces: '"'
x{a={}  ==>  1:5: parse error: unexpected left brace '{'
x{a="b"}}  ==>  1:9: parse error: unexpected character: '}'
x{a="\z"}  ==>  1:5: parse error: unknown escape sequence U+007A 'z'
x{a="\x4"}  ==>  1:5: parse error: illegal character U+0022 '"' in escape sequence
x{a="\x4g"}  ==>  1:5: parse error: illegal character U+0067 'g' in escape sequence
x{a="\u123"}  ==>  1:5: parse error: illegal character U+0022 '"' in escape sequence
x{a="\ud800"}  ==>  1:5: parse error: escape sequence is an invalid Unicode code point
x{a="\U00110000"}  ==>  1:5: parse error: escape sequence is an invalid Unicode code point
x{a="\400"}  ==>  1:5: parse error: escape sequence is an invalid Unicode code point
"\  ==>  1:1: parse error: escape sequence not terminated
"abc\  ==>  1:1: parse error: escape sequence not terminated
"a  ==>  1:1: parse error: unterminated quoted string
b"  ==>  1:2: parse error: unterminated quoted string
'abc"  ==>  1:1: parse error: unterminated quoted string
rate(x[5m]  ==>  1:11: parse error: unclosed left parenthesis
rate(x[5m]))  ==>  1:13: parse error: unexpected right parenthesis ')'
rate(x[5m]) )  ==>  1:14: parse error: unexpected right parenthesis ')'
sum(x) by  ==>  1:10: parse error: unexpected end of input in grouping opts, expected "("
sum(x) by (  ==>  1:12: parse error: unclosed left parenthesis
sum(x) by (a b)  ==>  1:14: parse error: unexpected identifier "b" in grouping opts, expected "," or ")"
sum(x) by (a,,b)  ==>  1:14: parse error: unexpected "," in grouping opts, expected label
sum(x) by (,)  ==>  1:12: parse error: unexpected "," in grouping opts, expected label
sum(x) by ("a")  ==>  1:12: parse error: unexpected string "\"a\"" in grouping opts, expected label
sum(x) by (a) by (b)  ==>  1:15: parse error: unexpected <by>
sum by (a) by (b) (x)  ==>  1:12: parse error: unexpected <by> in aggregation
sum by (a) (x) without (b)  ==>  1:16: parse error: unexpected <without>
sum(x, y)  ==>  1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 2
topk(x, y, z)  ==>  1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 3
topk()  ==>  1:1: parse error: no arguments for aggregate expression provided
count_values(x)  ==>  1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1
quantile(x)  ==>  1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1
sum(1)  ==>  1:5: parse error: expected type instant vector in aggregation expression, got scalar
topk("a", x)  ==>  1:6: parse error: expected type scalar in aggregation parameter, got string
topk(5, "a")  ==>  1:9: parse error: expected type instant vector in aggregation expression, got string
quantile(x, y)  ==>  1:10: parse error: expected type scalar in aggregation parameter, got instant vector
count_values("a", 1)  ==>  1:19: parse error: expected type instant vector in aggregation expression, got scalar
count_values(x, y)  ==>  1:14: parse error: expected type string in aggregation parameter, got instant vector
sum(x[5m])  ==>  1:5: parse error: expected type instant vector in aggregation expression, got range vector
sum(rate(x))  ==>  1:10: parse error: expected type range vector in call to function "rate", got instant vector
foo()  ==>  1:1: parse error: unknown function with name "foo"
foo(x)  ==>  1:1: parse error: unknown function with name "foo"
rate(x[5m], 1)  ==>  1:1: parse error: expected 1 argument(s) in call to "rate", got 2
rate(x)  ==>  1:6: parse error: expected type range vector in call to function "rate", got instant vector
rate(1)  ==>  1:6: parse error: expected type range vector in call to function "rate", got scalar
rate("a")  ==>  1:6: parse error: expected type range vector in call to function "rate", got string
abs(x[5m])  ==>  1:5: parse error: expected type instant vector in call to function "abs", got range vector
abs()  ==>  1:1: parse error: expected 1 argument(s) in call to "abs", got 0
abs(x, y)  ==>  1:1: parse error: expected 1 argument(s) in call to "abs", got 2
clamp(x)  ==>  1:1: parse error: expected 3 argument(s) in call to "clamp", got 1
clamp(x, 1)  ==>  1:1: parse error: expected 3 argument(s) in call to "clamp", got 2
clamp(x, "a", 1)  ==>  1:10: parse error: expected type scalar in call to function "clamp", got string
clamp(x, y, 1)  ==>  1:10: parse error: expected type scalar in call to function "clamp", got instant vector
round(x, y)  ==>  1:10: parse error: expected type scalar in call to function "round", got instant vector
round()  ==>  1:1: parse error: expected at least 1 argument(s) in call to "round", got 0
label_replace(x)  ==>  1:1: parse error: expected 5 argument(s) in call to "label_replace", got 1
label_replace(x, 1, "a", "b", "c")  ==>  1:18: parse error: expected type string in call to function "label_replace", got scalar
label_join(x)  ==>  1:1: parse error: expected at least 3 argument(s) in call to "label_join", got 1
label_join(x, "a")  ==>  1:1: parse error: expected at least 3 argument(s) in call to "label_join", got 2
label_join(x, "a", "b", 1)  ==>  1:25: parse error: expected type string in call to function "label_join", got scalar
label_join(x, "a", "b", "c", 1)  ==>  1:30: parse error: expected type string in call to function "label_join", got scalar
time(x)  ==>  1:1: parse error: expected 0 argument(s) in call to "time", got 1
vector(x)  ==>  1:8: parse error: expected type scalar in call to function "vector", got instant vector
vector("a")  ==>  1:8: parse error: expected type scalar in call to function "vector", got string
scalar(x[5m])  ==>  1:8: parse error: expected type instant vector in call to function "scalar", got range vector
histogram_quantile(x, y)  ==>  1:20: parse error: expected type scalar in call to function "histogram_quantile", got instant vector
histogram_quantile(0.9)  ==>  1:1: parse error: expected 2 argument(s) in call to "histogram_quantile", got 1
holt_winters(x, 1, 1)  ==>  1:14: parse error: expected type range vector in call to function "holt_winters", got instant vector
predict_linear(x[5m])  ==>  1:1: parse error: expected 2 argument(s) in call to "predict_linear", got 1
quantile_over_time(x[5m], 0.5)  ==>  1:20: parse error: expected type scalar in call to function "quantile_over_time", got range vector
day_of_month(x, y)  ==>  1:1: parse error: expected at most 1 argument(s) in call to "day_of_month", got 2
absent(x[5m])  ==>  1:8: parse error: expected type instant vector in call to function "absent", got range vector
absent_over_time(x)  ==>  1:18: parse error: expected type range vector in call to function "absent_over_time", got instant vector
year(x[5m])  ==>  1:6: parse error: expected type instant vector in call to function "year", got range vector
x + "a"  ==>  1:5: parse error: binary expression must contain only scalar and instant vector types
"a" + x  ==>  1:1: parse error: binary expression must contain only scalar and instant vector types
x + x[5m]  ==>  1:5: parse error: binary expression must contain only scalar and instant vector types
x[5m] + x  ==>  1:1: parse error: binary expression must contain only scalar and instant vector types
x[5m:] * 2  ==>  1:1: parse error: binary expression must contain only scalar and instant vector types
1 > 2  ==>  1:3: parse error: comparisons between scalars must use BOOL modifier
1 != 1  ==>  1:3: parse error: comparisons between scalars must use BOOL modifier
1 >= bool  ==>  1:10: parse error: unexpected end of input
1 and x  ==>  1:1: parse error: set operator "and" not allowed in binary scalar expression
x or 1  ==>  1:1: parse error: set operator "or" not allowed in binary scalar expression
x unless "a"  ==>  1:10: parse error: binary expression must contain only scalar and instant vector types
1 + on(a) 2  ==>  1:1: parse error: vector matching only allowed between instant vectors
1 + ignoring(a) x  ==>  1:1: parse error: vector matching only allowed between instant vectors
x + on(a) 1  ==>  1:1: parse error: vector matching only allowed between instant vectors
x * on(a) group_left(a) y  ==>  1:3: parse error: label "a" must not occur in ON and GROUP clause at once
x * on(a, b) group_right(c, b) y  ==>  1:3: parse error: label "b" must not occur in ON and GROUP clause at once
x and on(a) group_left y  ==>  1:1: parse error: no grouping allowed for "and" operation
x or ignoring(a) group_right(b) y  ==>  1:1: parse error: no grouping allowed for "or" operation
x unless on(a) group_left(b) y  ==>  1:1: parse error: no grouping allowed for "unless" operation
x + bool y  ==>  1:3: parse error: bool modifier can only be used on comparison operators
x * bool y  ==>  1:3: parse error: bool modifier can only be used on comparison operators
x bool == y  ==>  1:3: parse error: unexpected <bool>
x == bool bool y  ==>  1:11: parse error: unexpected <bool>
x + on(a) on(b) y  ==>  1:11: parse error: unexpected <on>
x + on(a) ignoring(b) y  ==>  1:11: parse error: unexpected <ignoring>
x + on y  ==>  1:8: parse error: unexpected identifier "y" in grouping opts, expected "("
x + on(a y  ==>  1:10: parse error: unexpected identifier "y" in grouping opts, expected "," or ")"
x + on(1) y  ==>  1:8: parse error: unexpected number "1" in grouping opts, expected label
x + group_left y  ==>  1:5: parse error: unexpected <group_left>
x + on(a) group_left group_left y  ==>  1:22: parse error: unexpected <group_left> in grouping opts, expected "("
x +  ==>  1:4: parse error: unexpected end of input
+  ==>  1:2: parse error: unexpected end of input
-  ==>  1:2: parse error: unexpected end of input
*  ==>  1:1: parse error: unexpected <op:*>
* x  ==>  1:1: parse error: unexpected <op:*>
x * * y  ==>  1:5: parse error: unexpected <op:*>
-x[5m]  ==>  1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector"
-rate(x[5m])[5m:]  ==>  1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector"
(x  ==>  1:3: parse error: unclosed left parenthesis
((x)  ==>  1:5: parse error: unclosed left parenthesis
(x))  ==>  1:5: parse error: unexpected right parenthesis ')'
(,)  ==>  1:2: parse error: unexpected ","
x,y  ==>  1:2: parse error: unexpected ","
x y  ==>  1:3: parse error: unexpected identifier "y"
x 1  ==>  1:3: parse error: unexpected number "1"
1 x  ==>  1:3: parse error: unexpected identifier "x"
"a" "b"  ==>  1:5: parse error: unexpected string "\"b\""
{a!~".+"}  ==>  1:1: parse error: vector selector must contain at least one non-empty matcher
{a!="x"}  ==>  1:1: parse error: vector selector must contain at least one non-empty matcher
{__name__=""}  ==>  1:1: parse error: vector selector must contain at least one non-empty matcher
{__name__=~".*"}  ==>  1:1: parse error: vector selector must contain at least one non-empty matcher
x{__name__="x"}  ==>  1:1: parse error: metric name must not be set twice: "x" or "x"
x{__name__=~"y"}  ==>  1:1: parse error: metric name must not be set twice: "x" or "y"
x{a=~"("}  ==>  1:3: parse error: error parsing regexp: missing closing ): `^(?:()$`
x{a=~"[a"}  ==>  1:3: parse error: error parsing regexp: missing closing ]: `[a)$`
x{a=~"a{1,1001}"}  ==>  1:3: parse error: error parsing regexp: invalid repeat count: `{1,1001}`
x{a=~"(?P<>a)"}  ==>  1:3: parse error: error parsing regexp: invalid named capture: `(?P<>`
x{a=~"(?i"}  ==>  1:3: parse error: error parsing regexp: missing closing ): `^(?:(?i)$`
x{a=~"\\p{Foo}"}  ==>  1:3: parse error: error parsing regexp: invalid character class range: `\p{Foo}`
x{a=~"\\C"}  ==>  1:3: parse error: error parsing regexp: invalid escape sequence: `\C`
x{a=~"*"}  ==>  1:3: parse error: error parsing regexp: missing argument to repetition operator: `*`
x{a=~"+a"}  ==>  1:3: parse error: error parsing regexp: missing argument to repetition operator: `+`
x{a=~"a??+"}  ==>  1:3: parse error: error parsing regexp: invalid nested repetition operator: `??+`
x{a!~"("}  ==>  1:3: parse error: error parsing regexp: missing closing ): `^(?:()$`
x ~ y  ==>  1:3: parse error: unexpected character: '~'
x =~ y  ==>  1:3: parse error: unexpected character after '=': '~'
x !~ y  ==>  1:3: parse error: unexpected character after '!': '~'
x = y  ==>  1:3: parse error: unexpected "="
x => y  ==>  1:3: parse error: unexpected "="
x =! y  ==>  1:3: parse error: unexpected "="
x ! y  ==>  1:3: parse error: unexpected character after '!': ' '
x & y  ==>  1:3: parse error: unexpected character: '&'
x | y  ==>  1:3: parse error: unexpected character: '|'
x ; y  ==>  1:3: parse error: unexpected character: ';'
x $  ==>  1:3: parse error: unexpected character: '$'
$  ==>  1:1: parse error: unexpected character: '$'
1.2.3  ==>  1:4: parse error: unexpected number ".3"
1..2  ==>  1:3: parse error: unexpected number ".2"
0xg  ==>  1:1: parse error: bad number or duration syntax: "0x"
0x1p3  ==>  1:1: parse error: bad number or duration syntax: "0x1"
1e  ==>  1:1: parse error: error parsing number: strconv.ParseFloat: parsing "1e": invalid syntax
1e+  ==>  1:1: parse error: error parsing number: strconv.ParseFloat: parsing "1e+": invalid syntax
1ee5  ==>  1:1: parse error: bad number or duration syntax: "1e"
1_000  ==>  1:1: parse error: bad number or duration syntax: "1"
0b101  ==>  1:1: parse error: bad number or duration syntax: "0"
0xFFFFFFFFFFFFFFFFFF  ==>  1:1: parse error: error parsing number: strconv.ParseFloat: parsing "0xFFFFFFFFFFFFFFFFFF": invalid syntax
1e309  ==>  1:1: parse error: error parsing number: strconv.ParseFloat: parsing "1e309": value out of range
.  ==>  1:1: parse error: unexpected character: '.'
..5  ==>  1:1: parse error: unexpected character: '.'
5m  ==>  1:1: parse error: unexpected duration "5m"
1h30m  ==>  1:1: parse error: unexpected duration "1h30m"
x offset 5m5  ==>  1:10: parse error: bad number or duration syntax: "5m5"
x[5m] offset 1h30  ==>  1:14: parse error: bad number or duration syntax: "1h30"
bool  ==>  1:1: parse error: unexpected <bool>
on  ==>  1:1: parse error: unexpected <on>
ignoring  ==>  1:1: parse error: unexpected <ignoring>
group_left  ==>  1:1: parse error: unexpected <group_left>
group_right  ==>  1:1: parse error: unexpected <group_right>
atan2  ==>  1:1: parse error: unexpected <op:atan2>
x atan2  ==>  1:8: parse error: unexpected end of input
sum by  ==>  1:7: parse error: unexpected end of input in grouping opts, expected "("
sum without  ==>  1:12: parse error: unexpected end of input in grouping opts, expected "("
sum by (a)  ==>  1:11: parse error: unexpected end of input in aggregation
topk by (a) (5)  ==>  1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1
sum(x) by (a) (y)  ==>  1:15: parse error: unexpected "("
count_values by (a) ("v")  ==>  1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1
rate(x[5m],)  ==>  1:11: parse error: trailing commas not allowed in function call args
rate(,)  ==>  1:6: parse error: unexpected ","
rate(x[5m],,)  ==>  1:11: parse error: trailing commas not allowed in function call args
sum(x))  ==>  1:8: parse error: unexpected right parenthesis ')'
x[5m] @  ==>  1:8: parse error: unexpected end of input in @, expected timestamp
x[5m] offset  ==>  1:13: parse error: unexpected end of input in offset, expected duration
x[5m:1m] offset  ==>  1:16: parse error: unexpected end of input in offset, expected duration
x[5m:1m] @  ==>  1:11: parse error: unexpected end of input in @, expected timestamp
x[5m1m]  ==>  1:3: parse error: not a valid duration string: "5m1m"
x[5m 1m]  ==>  1:6: parse error: unexpected duration "1m" in subquery or range, expected ":" or "]"
x[5m:1m 5m]  ==>  1:9: parse error: unexpected duration "5m" in subquery selector, expected "]"
x[5m:1m]]  ==>  1:9: parse error: unexpected right bracket ']'
x[5m:1m x]  ==>  1:9: parse error: unexpected colon 'x'
x[5m:y]  ==>  1:6: parse error: unexpected colon 'y'
x[5m:1m5]  ==>  1:6: parse error: bad number or duration syntax: "1m5"
x[5m:5]  ==>  1:6: parse error: unexpected number "5" in subquery selector, expected duration or "]"
x[5m:.5]  ==>  1:6: parse error: unexpected number ".5" in subquery selector, expected duration or "]"
x[0x5]  ==>  1:3: parse error: missing unit character in duration
x[5m:0x5]  ==>  1:6: parse error: unexpected number "0x5" in subquery selector, expected duration or "]"
x[5m] [5m]  ==>  1:7: parse error: ranges only allowed for vector selectors
x[5m][5m]  ==>  1:6: parse error: ranges only allowed for vector selectors
x[5m:][5m]  ==>  1:7: parse error: ranges only allowed for vector selectors
x[5m:][5m:]  ==>  1:1: parse error: subquery is only allowed on instant vector, got matrix instead
x[5m:] [5m:]  ==>  1:1: parse error: subquery is only allowed on instant vector, got matrix instead
rate(x[5m])[5m]  ==>  1:12: parse error: ranges only allowed for vector selectors
sum(x)[5m]  ==>  1:7: parse error: ranges only allowed for vector selectors
1[5m]  ==>  1:2: parse error: ranges only allowed for vector selectors
"a"[5m]  ==>  1:4: parse error: ranges only allowed for vector selectors
x offset 5m[5m]  ==>  1:12: parse error: no offset modifiers allowed before range
-x[5m:]  ==>  1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector"
-(x)[5m]  ==>  1:5: parse error: ranges only allowed for vector selectors
x[9223372036854775807ms]  ==>  1:3: parse error: duration out of range
x[9223372036854775808ms]  ==>  1:3: parse error: duration out of range
x[106752d]  ==>  1:3: parse error: duration out of range
x[293y]  ==>  1:3: parse error: duration out of range
x offset 300y  ==>  1:10: parse error: duration out of range
x @ 9223372036854775808  ==>  1:1: parse error: timestamp out of bounds for @ modifier: 9223372036854775808.000000
x @ -9223372036854775808  ==>  1:1: parse error: timestamp out of bounds for @ modifier: -9223372036854775808.000000
x @ 5m  ==>  1:5: parse error: unexpected duration "5m" in @, expected timestamp
x @ "a"  ==>  1:5: parse error: unexpected string "\"a\"" in @, expected timestamp
x offset "a"  ==>  1:10: parse error: unexpected string "\"a\"" in offset, expected duration
x offset start()  ==>  1:10: parse error: unexpected "start" in offset, expected duration
x OFFSET 5M  ==>  1:10: parse error: bad number or duration syntax: "5"
x offset 5M  ==>  1:10: parse error: bad number or duration syntax: "5"
x[5M]  ==>  1:3: parse error: bad duration syntax: "5"
x[5H]  ==>  1:3: parse error: bad duration syntax: "5"
sum( # c  ==>  1:9: parse error: unclosed left parenthesis
x) # d  ==>  1:3: parse error: unexpected right parenthesis ')'
x{# c  ==>  1:6: parse error: unexpected end of input inside braces
a="b"}  ==>  1:2: parse error: unexpected "="
)cases";

}  // namespace sluice::query::promql::testdata
