# corgi_library(NAME SOURCES ... DEPS ...): one static library per layer.
function(corgi_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR}/include PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# corgi_test(NAME SOURCES ... DEPS ... [LABELS unit|slow]): a GoogleTest binary registered with ctest.
# Tests run from the project root so relative data paths (tests/data, ../shared/data) resolve.
function(corgi_test name)
  if(NOT CORGI_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    CORGI_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    CORGI_SHARED_DATA="${CORGI_SHARED_DATA}"
    CORGI_TEST_DATA="${CORGI_TEST_DATA}"
    CORGI_BINARY_DIR="${CMAKE_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endfunction()
