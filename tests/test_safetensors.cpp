// Safetensors reader and writer: round trips, BF16/F16 widening, and every malformed file
// rejected with a one-line message naming the file and the tensor.
#include "engine/src/graph/safetensors.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace shiftnn {
namespace {

using detail::parse_safetensors;
using detail::read_safetensors;
using detail::serialize_safetensors;
using detail::write_safetensors;
using test::bits_of;
using test::expect_error;

const std::string kSource = "bad.safetensors";

// A file by hand: 8-byte little-endian header length, header text, data bytes.
std::string file_bytes(const std::string& header, const std::string& data = "") {
  std::string out;
  for (int b = 0; b < 8; ++b) out += static_cast<char>((header.size() >> (8 * b)) & 0xff);
  return out + header + data;
}

template <class T>
std::string raw(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

void expect_same_bits(const std::map<std::string, Weight>& got,
                      const std::map<std::string, Weight>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, w] : want) {
    SCOPED_TRACE(name);
    ASSERT_EQ(got.count(name), 1u);
    const Weight& g = got.at(name);
    EXPECT_EQ(g.shape, w.shape);
    ASSERT_EQ(g.data.size(), w.data.size());
    for (size_t i = 0; i < w.data.size(); ++i) {
      ASSERT_EQ(bits_of(g.data[i]), bits_of(w.data[i])) << "element " << i;
    }
  }
}

std::map<std::string, Weight> sample_weights() {
  std::vector<float> special = {0.0f,
                                -0.0f,
                                std::numeric_limits<float>::infinity(),
                                -std::numeric_limits<float>::infinity(),
                                std::numeric_limits<float>::quiet_NaN(),
                                std::numeric_limits<float>::denorm_min(),
                                -std::numeric_limits<float>::max()};
  return {
      {"conv.weight", {{4, 3, 3, 3}, test::random_values(108, 1)}},
      {"conv.bias", {{4}, test::random_values(4, 2)}},
      {"a.special", {{7}, special}},
      {"empty", {{0, 3}, {}}},
      {"scalar", {{}, {2.5f}}},
  };
}

TEST(Safetensors, SerializeParseRoundTripIsBitExact) {
  const auto weights = sample_weights();
  const std::string bytes = serialize_safetensors(weights);
  uint64_t header_bytes;
  std::memcpy(&header_bytes, bytes.data(), 8);
  EXPECT_EQ((8 + header_bytes) % 8, 0u) << "data is not 8-byte aligned";
  // Tensors are laid out in name order.
  const std::string header = bytes.substr(8, header_bytes);
  EXPECT_LT(header.find("\"a.special\""), header.find("\"conv.bias\""));
  EXPECT_LT(header.find("\"conv.bias\""), header.find("\"conv.weight\""));
  expect_same_bits(parse_safetensors(bytes, "memory"), weights);
}

TEST(Safetensors, EmptyMapRoundTrips) {
  EXPECT_TRUE(parse_safetensors(serialize_safetensors({}), "memory").empty());
}

TEST(Safetensors, WriteThenReadRoundTripsAndLeavesOnlyTheFile) {
  test::TempDir dir;
  const std::string path = dir.file("w.safetensors");
  write_safetensors(path, sample_weights());
  expect_same_bits(read_safetensors(path), sample_weights());
  const auto entries = std::distance(std::filesystem::directory_iterator(dir.file("")),
                                     std::filesystem::directory_iterator());
  EXPECT_EQ(entries, 1) << "temporary file left behind";
}

TEST(Safetensors, WriteIntoMissingDirectoryThrowsAndLeavesNothing) {
  test::TempDir dir;
  const std::string path = dir.file("missing/w.safetensors");
  expect_error([&] { write_safetensors(path, sample_weights()); }, {path});
  EXPECT_FALSE(std::filesystem::exists(dir.file("missing")));
  EXPECT_TRUE(std::filesystem::is_empty(dir.file("")));
}

TEST(Safetensors, ReadMissingFileNamesThePath) {
  test::TempDir dir;
  const std::string path = dir.file("absent.safetensors");
  expect_error([&] { read_safetensors(path); }, {path});
}

// BF16 and F16 widened exactly; every tensor starts at an odd byte of the file.
TEST(Safetensors, ReadsBf16AndF16AtAnyAlignment) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<uint16_t> bf16 = {0x3f80, 0xc040, 0x7f80, 0x0001, 0x8000};
  const std::vector<float> bf16_want = {1.0f, -3.0f, inf, std::ldexp(1.0f, -133), -0.0f};
  const std::vector<uint16_t> f16 = {0x3c00, 0xc000, 0x0001, 0x8001, 0x03ff,
                                     0x7bff, 0x7c00, 0xfc00, 0x8000, 0x3555};
  const std::vector<float> f16_want = {1.0f,
                                       -2.0f,
                                       std::ldexp(1.0f, -24),
                                       -std::ldexp(1.0f, -24),
                                       std::ldexp(1023.0f, -24),
                                       65504.0f,
                                       inf,
                                       -inf,
                                       -0.0f,
                                       0.333251953125f};
  const std::vector<float> f32 = {1.5f, -7.25f, 3e-39f};
  // data: 1 pad byte, bf16 at [1, 11), f16 at [11, 31), f32 at [31, 43).
  const std::string header =
      R"({"__metadata__": {"format": "pt"},)"
      R"( "b": {"dtype": "BF16", "shape": [5], "data_offsets": [1, 11]},)"
      R"( "h": {"dtype": "F16", "shape": [2, 5], "data_offsets": [11, 31]},)"
      R"( "f": {"dtype": "F32", "shape": [3, 1], "data_offsets": [31, 43]}} )";
  ASSERT_EQ(header.size() % 2, 0u) << "8 + header + odd offset must stay odd";
  const std::string bytes = file_bytes(header, "\x7f" + raw(bf16) + raw(f16) + raw(f32));
  const auto got = parse_safetensors(bytes, "hand.safetensors");
  expect_same_bits(got, {{"b", {{5}, bf16_want}}, {"h", {{2, 5}, f16_want}}, {"f", {{3, 1}, f32}}});
}

TEST(Safetensors, F16NanStaysNan) {
  const std::vector<uint16_t> f16 = {0x7e00, 0xfc01};
  const auto got = parse_safetensors(
      file_bytes(R"({"n": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})", raw(f16)),
      "nan.safetensors");
  EXPECT_TRUE(std::isnan(got.at("n").data[0]));
  EXPECT_TRUE(std::isnan(got.at("n").data[1]));
  EXPECT_TRUE(std::signbit(got.at("n").data[1]));
}

TEST(Safetensors, ZeroElementTensorsTakeNoRoom) {
  const std::vector<float> f32 = {1.0f, 2.0f};
  // "z" sits inside "f"'s bytes but is empty, so nothing overlaps.
  const std::string header = R"({"f": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                             R"( "z": {"dtype": "BF16", "shape": [3, 0], "data_offsets": [4, 4]}})";
  const auto got = parse_safetensors(file_bytes(header, raw(f32)), "zero.safetensors");
  EXPECT_EQ(got.at("z").shape, (std::vector<int64_t>{3, 0}));
  EXPECT_TRUE(got.at("z").data.empty());
  EXPECT_EQ(got.at("f").data, f32);
}

struct BadFile {
  const char* what;
  std::string bytes;
  std::vector<std::string> parts;  // every one must appear in the message
};

std::string entry(const std::string& name, const std::string& fields) {
  return "{\"" + name + "\": {" + fields + "}}";
}

std::vector<BadFile> bad_files() {
  const std::string eight(8, '\0');
  const std::string ok_fields = R"("dtype": "F32", "shape": [2], "data_offsets": [0, 8])";
  const std::string u64_max(8, '\xff');
  return {
      {"short file", std::string("\x02\0\0", 3), {"3 bytes", "too short"}},
      {"header beyond the file", file_bytes("{}").replace(0, 1, "\x40"), {"exceeds the file"}},
      {"absurd header length", u64_max + "{}", {"exceeds the limit"}},
      {"not JSON", file_bytes("{\"a\": "), {"not valid JSON"}},
      {"number out of range", file_bytes(R"({"a": 1e400})"), {"not valid JSON"}},
      {"not an object", file_bytes("[1, 2]"), {"not a JSON object"}},
      {"entry not an object", file_bytes(R"({"w": 3})"), {"\"w\"", "not a JSON object"}},
      {"no dtype",
       file_bytes(entry("w", R"("shape": [2], "data_offsets": [0, 8])"), eight),
       {"\"w\"", "no \"dtype\""}},
      {"no shape",
       file_bytes(entry("w", R"("dtype": "F32", "data_offsets": [0, 8])"), eight),
       {"\"w\"", "no \"shape\""}},
      {"no data_offsets",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [2])"), eight),
       {"\"w\"", "no \"data_offsets\""}},
      {"dtype not a string",
       file_bytes(entry("w", R"("dtype": 4, "shape": [2], "data_offsets": [0, 8])"), eight),
       {"\"w\"", "\"dtype\" is not a string"}},
      {"unsupported dtype",
       file_bytes(entry("w", R"("dtype": "I64", "shape": [1], "data_offsets": [0, 8])"), eight),
       {"\"w\"", "\"I64\"", "not supported"}},
      {"shape not an array",
       file_bytes(entry("w", R"("dtype": "F32", "shape": 2, "data_offsets": [0, 8])"), eight),
       {"\"w\"", "\"shape\" is not an array"}},
      {"fractional dimension",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [2.5], "data_offsets": [0, 8])"), eight),
       {"\"w\"", "non-integer"}},
      {"negative dimension",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [-2], "data_offsets": [0, 8])"), eight),
       {"\"w\"", "negative"}},
      {"element count overflows",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [1099511627776, 1099511627776],)"
                             R"( "data_offsets": [0, 8])"),
                  eight),
       {"\"w\"", "too many elements"}},
      {"overflow hidden by a zero dimension",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [0, 4294967296, 4294967296],)"
                             R"( "data_offsets": [0, 0])")),
       {"\"w\"", "too many elements"}},
      {"dimension beyond int64",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [18446744073709551615],)"
                             R"( "data_offsets": [0, 8])"),
                  eight),
       {"\"w\"", "too many elements"}},
      {"byte count overflows",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [4611686018427387904],)"
                             R"( "data_offsets": [0, 0])")),
       {"\"w\"", "too many bytes"}},
      {"one offset",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [2], "data_offsets": [8])"), eight),
       {"\"w\"", "\"data_offsets\"", "two non-negative integers"}},
      {"three offsets",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [2], "data_offsets": [0, 4, 8])"), eight),
       {"\"w\"", "two non-negative integers"}},
      {"negative offset",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [2], "data_offsets": [-8, 0])"), eight),
       {"\"w\"", "two non-negative integers"}},
      {"offsets not integers",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [2], "data_offsets": ["0", 8])"), eight),
       {"\"w\"", "two non-negative integers"}},
      {"decreasing offsets",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [0], "data_offsets": [8, 4])"), eight),
       {"\"w\"", "decrease"}},
      {"offsets outside the data",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [2], "data_offsets": [4, 12])"), eight),
       {"\"w\"", "outside the data buffer of 8 bytes"}},
      {"huge offsets",
       file_bytes(entry("w", R"("dtype": "F32", "shape": [2], )"
                             R"("data_offsets": [18446744073709551615, 18446744073709551615])"),
                  eight),
       {"\"w\"", "outside the data buffer"}},
      {"size not elements times dtype size",
       file_bytes(entry("w", R"("dtype": "BF16", "shape": [2], "data_offsets": [0, 8])"), eight),
       {"\"w\"", "span 8 bytes", "needs 4"}},
      {"overlapping tensors",
       file_bytes(R"({"p": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                  R"( "q": {"dtype": "F16", "shape": [2], "data_offsets": [6, 10]}})",
                  eight + eight),
       {"\"p\"", "\"q\"", "overlap"}},
      {"duplicate tensor",
       file_bytes("{\"w\": {" + ok_fields + "}, \"w\": {" + ok_fields + "}}", eight),
       {"tensor \"w\" appears twice"}},
      {"duplicate field",
       file_bytes(entry("w", ok_fields + R"(, "dtype": "F32")"), eight),
       {"tensor \"w\": key \"dtype\" appears twice"}},
      {"metadata not strings",
       file_bytes(R"({"__metadata__": {"epochs": 3}})"),
       {"\"__metadata__\"", "not an object of strings"}},
      {"name with a newline stays one line",
       file_bytes(entry("line\\nbreak", R"("dtype": "U8", "shape": [1], "data_offsets": [0, 1])"),
                  eight),
       {"\"line\\nbreak\"", "not supported"}},
  };
}

TEST(Safetensors, BadFilesThrowOneLineNamingFileAndTensor) {
  for (const BadFile& bad : bad_files()) {
    SCOPED_TRACE(bad.what);
    std::vector<std::string> parts = bad.parts;
    parts.push_back(kSource);
    expect_error([&] { parse_safetensors(bad.bytes, kSource); }, parts);
  }
}

// Every prefix of a valid file is rejected cleanly (ASan runs catch out-of-bounds reads).
TEST(Safetensors, TruncatedFilesThrow) {
  const std::string bytes = serialize_safetensors(sample_weights());
  for (size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_THROW(parse_safetensors(bytes.substr(0, size), kSource), Error) << size << " bytes";
  }
}

TEST(Safetensors, SerializeRejectsInconsistentWeights) {
  expect_error(
      [] {
        serialize_safetensors({{"w", {{2, 3}, {1.0f, 2.0f}}}});
      },
      {"\"w\"", "6 elements", "2"});
  expect_error([] { serialize_safetensors({{"w", {{-1}, {}}}}); }, {"\"w\"", "negative"});
  expect_error(
      [] {
        serialize_safetensors({{"__metadata__", {{1}, {1.0f}}}});
      },
      {"\"__metadata__\""});
  expect_error([] { serialize_safetensors({{"bad\xff", {{1}, {1.0f}}}}); }, {"UTF-8"});
}

}  // namespace
}  // namespace shiftnn
