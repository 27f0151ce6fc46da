# Every dependency comes from a Debian package (see scripts/install-deps).
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(Threads REQUIRED)

# Debian's xsimd 8.1 CMake target links a library called "xtl" that the
# package does not ship; an empty imported target satisfies it.
if(NOT TARGET xtl)
  add_library(xtl INTERFACE IMPORTED)
endif()
find_package(xsimd 8.1 REQUIRED)

# oneDNN's config looks for OpenCL (ocl-icd-opencl-dev) even for CPU use.
find_package(dnnl 2.6 REQUIRED)

find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
