# bedrock_module(<name> [DEPS <targets...>] [TEST_DEPS <targets...>])
#
# One static library per folder under src/: every *.cc in the folder (and its internal/ subfolder)
# except *_test.cc becomes bedrock_<name>; the *_test.cc files become bedrock_<name>_test, a
# GoogleTest binary registered with ctest and labelled <name> (`ctest -L http`; a single label,
# since gtest_discover_tests cannot pass a list). DEPS are the module's explicit, public dependencies.
function(bedrock_module name)
  cmake_parse_arguments(M "" "" "DEPS;PRIVATE_DEPS;TEST_DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS
       "${CMAKE_CURRENT_SOURCE_DIR}/*.cc" "${CMAKE_CURRENT_SOURCE_DIR}/internal/*.cc")
  set(tests ${sources})
  list(FILTER sources EXCLUDE REGEX "_test\\.cc$")
  list(FILTER tests INCLUDE REGEX "_test\\.cc$")

  if(NOT sources)  # a module whose first sources have not landed yet
    add_library(bedrock_${name} INTERFACE)
    target_include_directories(bedrock_${name} INTERFACE "${PROJECT_SOURCE_DIR}/src")
    target_link_libraries(bedrock_${name} INTERFACE ${M_DEPS})
    return()
  endif()
  add_library(bedrock_${name} STATIC ${sources})
  target_include_directories(bedrock_${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
  target_link_libraries(bedrock_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})

  if(BEDROCK_BUILD_TESTS AND tests)
    add_executable(bedrock_${name}_test ${tests})
    target_link_libraries(bedrock_${name}_test PRIVATE bedrock_${name} ${M_TEST_DEPS}
                          GTest::gmock GTest::gtest_main)
    gtest_discover_tests(bedrock_${name}_test DISCOVERY_MODE PRE_TEST
                         PROPERTIES TIMEOUT 120 LABELS ${name})
  endif()
endfunction()
