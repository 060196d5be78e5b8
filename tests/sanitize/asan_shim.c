/* asan_shim.c: preloaded after gcc's libasan into the sanitized PostgreSQL server
 * (tests/sanitize/run.sh). Without it the server hangs at start: libgpg-error's constructor calls
 * bindtextdomain() before ASan is initialised; its malloc() initialises ASan, which looks up the
 * optional symbol swift_demangle with dlsym() and then calls dlerror(), whose message translation
 * takes glibc's gettext lock already held by bindtextdomain() and corrupts it. With this symbol
 * present the lookup succeeds and dlerror() has nothing to translate. Returning NULL means "not a
 * Swift name": ASan's reports are unchanged. */
#include <stddef.h>
#include <stdint.h>

char *swift_demangle(const char *mangled, size_t mangled_length, char *out, size_t *out_length,
                     uint32_t flags);

char *swift_demangle(const char *mangled, size_t mangled_length, char *out, size_t *out_length,
                     uint32_t flags) {
    (void)mangled;
    (void)mangled_length;
    (void)out;
    (void)out_length;
    (void)flags;
    return NULL;
}
