# Cross build for aarch64 (NEON) with Debian's cross compiler; binaries and
# tests run through qemu-user (binfmt is not relied on).
# Dependencies: scripts/install-deps-aarch64 (arm64 multiarch packages, plus
# libdnnl-dev:arm64 unpacked into /opt/shiftnn-aarch64).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# try_run, ctest and gtest_discover_tests run target binaries through this.
# Guest paths are host paths: binaries load the arm64 multiarch runtime
# (libc6:arm64's /lib/ld-linux-aarch64.so.1, libstdc++6, libgomp1, libdnnl2),
# one consistent set. "-L /usr/aarch64-linux-gnu" would pair the cross
# package's ld.so (glibc 2.36-8cross1) with libc6:arm64's libc.so.6
# (2.36-9+deb12uN), which the loader finds first in /lib/aarch64-linux-gnu;
# that mix hangs in pthread_create, i.e. in every OpenMP region.
# cortex-a72: a plain Armv8.0-A core with NEON and no SVE, like most arm64
# hosts; qemu's default "max" CPU would send oneDNN down its SVE-512 JIT paths
# and would not catch code built beyond the Armv8.0 baseline.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -cpu cortex-a72 -L /)

# Packages: the arm64 oneDNN overlay first, then the host root, where CMake
# only looks in lib/aarch64-linux-gnu (multiarch) and in the
# architecture-independent share/cmake (nlohmann_json, CLI11).
set(CMAKE_FIND_ROOT_PATH /opt/shiftnn-aarch64 /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Emulated floating point is ~300x slower than native: tests shrink their big
# shapes under this definition.
add_compile_definitions(SHIFTNN_EMULATED=1)
