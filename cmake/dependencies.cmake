# Every dependency comes from a Debian package (see scripts/install-deps).
# oneDNN is built with GCC and libgomp; clang links that runtime too (-fopenmp=libgomp),
# not its libomp: one OpenMP runtime per process. Clang then compiles our own omp pragmas
# out (it has no libgomp code generation): its builds run shiftnn's loops serially.
# FindOpenMP's probe needs the pragmas, so the flags are given, not detected.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libgomp.so
                  OUTPUT_VARIABLE OpenMP_gomp_LIBRARY OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(OpenMP_CXX_FLAGS "-fopenmp=libgomp")
  set(OpenMP_CXX_LIB_NAMES "gomp")
endif()
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
