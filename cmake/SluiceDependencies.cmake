# Every dependency comes from Debian bookworm's apt; see scripts/install-deps.sh for the package names.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Boost 1.74 REQUIRED CONFIG)          # Boost::headers: Asio, Beast and System are header-only
find_package(simdjson 3 REQUIRED CONFIG)          # simdjson::simdjson (shared only)
find_package(zstd 1.5 REQUIRED CONFIG)            # zstd::libzstd_shared
find_package(RocksDB 7.8 REQUIRED CONFIG)         # RocksDB::rocksdb-shared (RocksDB::rocksdb is the static .a)
find_package(prometheus-cpp REQUIRED CONFIG)      # no version file in Debian's package
find_package(yaml-cpp 0.7 REQUIRED CONFIG)        # target `yaml-cpp` (no namespace in 0.7)
find_package(Snappy 1.1 REQUIRED CONFIG)          # Snappy::snappy
find_package(Protobuf 3.21 REQUIRED)              # CMake's FindProtobuf: protobuf_generate()
find_package(CLI11 2.1 REQUIRED CONFIG)           # header-only
find_package(spdlog 1.10 REQUIRED CONFIG)         # spdlog::spdlog (compiled, uses the shared fmt)
find_package(fmt 9 REQUIRED CONFIG)               # fmt::fmt
find_package(ZLIB REQUIRED)                       # ZLIB::ZLIB
find_package(OpenSSL 3 REQUIRED)                  # OpenSSL::Crypto (SHA-256), OpenSSL::SSL (TLS)
pkg_check_modules(XCRYPT REQUIRED IMPORTED_TARGET libxcrypt)  # crypt_rn for bcrypt passwords
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)

# moodycamel::ConcurrentQueue (header-only, Debian's libconcurrentqueue-dev)
find_path(CONCURRENTQUEUE_INCLUDE_DIR concurrentqueue/concurrentqueue.h REQUIRED)
add_library(sluice_concurrentqueue INTERFACE)
target_include_directories(sluice_concurrentqueue SYSTEM INTERFACE ${CONCURRENTQUEUE_INCLUDE_DIR})

# One interface target for every translation unit that touches Asio/Beast.
add_library(sluice_asio INTERFACE)
target_link_libraries(sluice_asio INTERFACE Boost::headers Threads::Threads)
# clang (clang-tidy, clangd, libFuzzer builds) does not detect Asio's co_await support on its own.
target_compile_definitions(sluice_asio INTERFACE BOOST_ASIO_HAS_CO_AWAIT=1 BOOST_ASIO_HAS_STD_COROUTINE=1
                                                 BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
# Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
target_compile_options(sluice_asio INTERFACE "SHELL:-include utility")

if(SLUICE_BUILD_TESTS)
  find_package(GTest 1.12 REQUIRED CONFIG)
endif()
if(SLUICE_BUILD_BENCH)
  find_package(benchmark 1.7 REQUIRED CONFIG)
endif()
