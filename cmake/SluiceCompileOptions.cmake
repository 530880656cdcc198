# Warnings for our own code only: library headers come from /usr/include, a system directory.
add_library(sluice_warnings INTERFACE)
target_compile_options(sluice_warnings INTERFACE -Wall -Wextra -Wpedantic -Wnon-virtual-dtor
                                                 -Woverloaded-virtual -Wimplicit-fallthrough
                                                 # GCC 12 reports false positives inside libstdc++'s
                                                 # string concatenation at -O3 (GCC bug 105329).
                                                 $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
if(SLUICE_WERROR)
  target_compile_options(sluice_warnings INTERFACE -Werror)
endif()

if(SLUICE_SANITIZE)
  # -fno-sanitize-recover makes any finding fatal, so a test cannot pass past it.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# sluice_library(<name> SOURCES ... DEPS ...): one CMake library per top-level folder, exported as
# sluice::<name>, with the repository root as its include root.
function(sluice_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(sluice_${name} STATIC ${ARG_SOURCES})
  add_library(sluice::${name} ALIAS sluice_${name})
  target_include_directories(sluice_${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
  target_link_libraries(sluice_${name} PUBLIC ${ARG_DEPS} PRIVATE sluice_warnings ${ARG_PRIVATE_DEPS})
endfunction()
