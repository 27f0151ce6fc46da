// .npy reading and writing: round trips, v1 and v2 headers, and every rejected file
// named in a one-line error.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shiftnn/npy.hpp"
#include "support/test_support.hpp"

namespace shiftnn::test {
namespace {

const char* kF32Dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

TEST(Npy, RoundTripWritesAVersion1Header) {
  TempDir dir;
  const std::string path = dir.file("x.npy");
  const std::vector<float> x = random_values(2 * 3 * 4 * 5, 3);
  save_npy(path, {2, 3, 4, 5}, x.data());
  const std::string bytes = read_text(path);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 6), std::string("\x93NUMPY", 6));
  EXPECT_EQ(bytes[6], '\x01');
  const size_t header_len =
      static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u) << "data must start 64-byte aligned";
  EXPECT_EQ(bytes.size(), 10 + header_len + x.size() * sizeof(float));
  EXPECT_EQ(bytes[10 + header_len - 1], '\n');
  EXPECT_NE(bytes.find("'<f4'"), std::string::npos);

  const NpyArray a = load_npy(path);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3, 4, 5}));
  ASSERT_EQ(a.data.size(), x.size());
  EXPECT_EQ(
      compare(a.data.data(), x.data(), {1, 1, 1, static_cast<int64_t>(x.size())}, Layout::nchw),
      "");
}

TEST(Npy, RoundTripOneAndTwoDimensions) {
  TempDir dir;
  const std::vector<float> x = {1.5f, -2, 3};
  save_npy(dir.file("v.npy"), {3}, x.data());
  NpyArray a = load_npy(dir.file("v.npy"));
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(a.data, x);
  save_npy(dir.file("m.npy"), {3, 1}, x.data());
  a = load_npy(dir.file("m.npy"));
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(a.data, x);
}

TEST(Npy, SaveReplacesAnExistingFileAndLeavesNoTemporary) {
  TempDir dir;
  const std::string path = dir.file("x.npy");
  write_bytes(path, "stale");
  const std::vector<float> x = {4, 5};
  save_npy(path, {2}, x.data());
  EXPECT_EQ(load_npy(path).data, x);
  int files = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(Npy, ReadsAVersion2Header) {
  TempDir dir;
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};
  write_bytes(dir.file("v2.npy"), npy_bytes(kF32Dict, x.data(), x.size() * 4, 2));
  const NpyArray a = load_npy(dir.file("v2.npy"));
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.data, x);
}

TEST(Npy, ReadsAHeaderWithoutTrailingComma) {
  TempDir dir;
  const std::vector<float> x = {7, 8};
  write_bytes(dir.file("a.npy"),
              npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", x.data(), 8));
  const NpyArray a = load_npy(dir.file("a.npy"));
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(a.data, x);
}

TEST(Npy, Float64OnlyWhenAccepted) {
  TempDir dir;
  const std::vector<double> x = {0.5, -1.25, 3, 1e-3};
  const std::string path = dir.file("f8.npy");
  write_bytes(path, npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", x.data(),
                              x.size() * 8));
  expect_error([&] { load_npy(path); }, {path, "'<f8'", "float32"});
  const NpyArray a = load_npy(path, /*accept_float64=*/true);
  EXPECT_EQ(a.data, (std::vector<float>{0.5f, -1.25f, 3.0f, 1e-3f}));
}

TEST(NpyErrors, MissingFile) {
  TempDir dir;
  const std::string path = dir.file("nope.npy");
  expect_error([&] { load_npy(path); }, {path, "cannot open"});
}

TEST(NpyErrors, BadMagic) {
  TempDir dir;
  const std::string path = dir.file("bad.npy");
  write_bytes(path, "PK\x03\x04 this is a zip file, not an npy");
  expect_error([&] { load_npy(path); }, {path, "magic"});
  write_bytes(path, "\x93NUM");
  expect_error([&] { load_npy(path); }, {path, "magic"});
}

TEST(NpyErrors, IntegerDtype) {
  TempDir dir;
  const std::vector<int32_t> x = {1, 2, 3, 4, 5, 6};
  const std::string path = dir.file("i4.npy");
  write_bytes(
      path, npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", x.data(), 24));
  expect_error([&] { load_npy(path); }, {path, "'<i4'"});
  expect_error([&] { load_npy(path, true); }, {path, "'<i4'"});
}

TEST(NpyErrors, BigEndianDtype) {
  TempDir dir;
  const std::vector<float> x(6, 1.0f);
  const std::string path = dir.file("be.npy");
  write_bytes(
      path, npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", x.data(), 24));
  expect_error([&] { load_npy(path); }, {path, "'>f4'"});
}

TEST(NpyErrors, FortranOrder) {
  TempDir dir;
  const std::vector<float> x(6, 1.0f);
  const std::string path = dir.file("f.npy");
  write_bytes(
      path, npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", x.data(), 24));
  expect_error([&] { load_npy(path); }, {path, "Fortran"});
}

TEST(NpyErrors, TruncatedData) {
  TempDir dir;
  const std::vector<float> x(6, 1.0f);
  const std::string path = dir.file("t.npy");
  write_bytes(path, npy_bytes(kF32Dict, x.data(), 20));
  expect_error([&] { load_npy(path); }, {path, "truncated", "24 bytes"});
}

TEST(NpyErrors, TruncatedHeader) {
  TempDir dir;
  const std::string path = dir.file("h.npy");
  write_bytes(path, npy_bytes(kF32Dict, nullptr, 0).substr(0, 30));
  expect_error([&] { load_npy(path); }, {path, "truncated"});
}

TEST(NpyErrors, UnsupportedVersion) {
  TempDir dir;
  const std::string path = dir.file("v9.npy");
  std::string bytes = npy_bytes(kF32Dict, nullptr, 0);
  bytes[6] = 9;
  write_bytes(path, bytes);
  expect_error([&] { load_npy(path); }, {path, "version"});
}

TEST(NpyErrors, MalformedShape) {
  TempDir dir;
  const std::string path = dir.file("s.npy");
  write_bytes(
      path, npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", nullptr, 0));
  expect_error([&] { load_npy(path); }, {path, "shape"});
}

TEST(NpyErrors, SaveToMissingDirectory) {
  TempDir dir;
  const std::vector<float> x = {1};
  const std::string path = dir.file("no/such/dir/x.npy");
  expect_error([&] { save_npy(path, {1}, x.data()); }, {path});
}

}  // namespace
}  // namespace shiftnn::test
