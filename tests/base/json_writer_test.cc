#include "base/json_writer.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(JsonWriter, PlacesCommasAndNesting) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("a");
  w.Int(-1);
  w.Key("b");
  w.BeginArray();
  w.String("x");
  w.Uint(2);
  w.Bool(true);
  w.Null();
  w.BeginObject();
  w.EndObject();
  w.EndArray();
  w.Key("c");
  w.Double(0.5);
  w.Key("d");
  w.Raw("[1]");
  w.EndObject();
  EXPECT_EQ(out, R"({"a":-1,"b":["x",2,true,null,{}],"c":0.5,"d":[1]})");
}

TEST(JsonWriter, EscapesControlCharactersAndQuotes) {
  std::string out;
  JsonWriter::AppendEscaped(&out, std::string("q\"b\\n\n\t\x01\x1f\0", 10));
  EXPECT_EQ(out, "q\\\"b\\\\n\\n\\t\\u0001\\u001f\\u0000");
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalidBytes) {
  std::string out;
  JsonWriter::AppendEscaped(&out, "h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(out, "h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  out.clear();
  // A lone continuation byte, a truncated sequence, an overlong form and a surrogate.
  JsonWriter::AppendEscaped(&out,
                            "a\x80"
                            "b\xE2\x82"
                            "c\xC0\xAF"
                            "d\xED\xA0\x80"
                            "e");
  EXPECT_EQ(out,
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD"
            "c\xEF\xBF\xBD\xEF\xBF\xBD"
            "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
            "e");
}

TEST(JsonWriter, DoublesRoundTrip) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  w.Double(0.1);
  w.Double(1e300);
  w.Double(-2.5e-7);
  w.Double(3);
  w.EndArray();
  EXPECT_EQ(out, "[0.1,1e+300,-2.5e-07,3]");
}

}  // namespace
}  // namespace sluice
