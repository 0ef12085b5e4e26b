// libsystemc.so defines main() and needs sc_main; gtest_main's main() wins,
// so this is never called. See docs/architecture.md (testing).
extern "C" int sc_main(int, char**) { return 0; }
