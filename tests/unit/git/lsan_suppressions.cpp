// LeakSanitizer suppressions for leaks inside Debian 12's libgit2 1.5 and
// libssh2 1.10, never in gantry's code (seen with fast_unwind_on_malloc=0:
// every stack goes through libgit2 internals):
//  - libgit2's PCRE2 regexp backend does not free its match data on every
//    path (libgit2 PR #6382); git_remote_lookup reaches it through config
//    lookups;
//  - libgit2's ssh transport does not free its known_hosts list and the
//    strings it built for it after connecting (libgit2 issue #6598, PR #6599),
//    and libssh2's userauth list with it.
// Only the scripts/test.sh ASan run reads these; other builds ignore them.
// The system libraries have no frame pointers, so stacks are unwound the slow
// way (fast_unwind_on_malloc=0) for the names above to appear in them.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __asan_default_options();

extern "C" const char* __asan_default_options() {
  return "fast_unwind_on_malloc=0";
}

extern "C" const char* __lsan_default_suppressions() {
  return "leak:pcre2_match_data_create_8\n"
         "leak:pcre2_match_8\n"
         "leak:libssh2_knownhost_init\n"
         "leak:libssh2_userauth_list\n"
         "leak:git_remote_connect_ext\n";
}
