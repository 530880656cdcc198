# Build facts reported by --version, /api/v1/status/buildinfo and the sluice_build_info metric.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                OUTPUT_VARIABLE SLUICE_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git rev-parse --abbrev-ref HEAD WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                OUTPUT_VARIABLE SLUICE_BRANCH OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT SLUICE_REVISION)
  set(SLUICE_REVISION "unknown")
endif()
if(NOT SLUICE_BRANCH)
  set(SLUICE_BRANCH "unknown")
endif()
string(TIMESTAMP SLUICE_BUILD_DATE "%Y%m%d-%H:%M:%S" UTC)
set(SLUICE_COMPILER "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
configure_file(${PROJECT_SOURCE_DIR}/base/build_info.cc.in ${PROJECT_BINARY_DIR}/generated/base/build_info.cc @ONLY)
