// libleakstl.so: allocations that libstdc++ makes on the library's behalf. hold_strings keeps
// std::string values (each one heap block of length + 1 bytes, allocated by libstdc++'s own
// code: std::string is instantiated inside libstdc++.so) in a static array; hold_map inserts
// int -> int pairs into a static std::map (one node each, allocated by the template code
// instantiated here); release_all frees both.
#include <jni.h>
#include <cstddef>
#include <map>
#include <string>

#define LOCAL __attribute__((noinline, noclone))

namespace leakstl
{

const int MAX_STRINGS = 20000;

// Statics built at load time without allocating: an empty std::string uses its inline buffer,
// an empty std::map has no node.
static std::string strings[MAX_STRINGS];
static int nstrings;
static std::map<int, int> numbers;

LOCAL int hold_strings(int n, int length)
{
    int held = 0;
    for (int i = 0; i < n && nstrings < MAX_STRINGS; i++) {
        // assign(count, char): libstdc++'s _M_replace_aux -> _M_create -> operator new(length + 1)
        strings[nstrings++].assign(std::size_t(length), char('a' + i % 26));
        held++;
    }
    return held;
}

LOCAL int hold_map(int n)
{
    int base = int(numbers.size());
    for (int i = 0; i < n; i++) {
        numbers[base + i] = i;
    }
    return int(numbers.size()) - base;
}

LOCAL long release_all()
{
    long released = long(numbers.size());
    numbers.clear();
    for (int i = 0; i < nstrings; i++) {
        std::string().swap(strings[i]);
        released++;
    }
    nstrings = 0;
    return released;
}

} // namespace leakstl

extern "C" {

JNIEXPORT jint JNICALL Java_StlLeak_keepStrings(JNIEnv *, jclass, jint n, jint length)
{
    return leakstl::hold_strings(n, length);
}

JNIEXPORT jint JNICALL Java_StlLeak_keepMap(JNIEnv *, jclass, jint n)
{
    return leakstl::hold_map(n);
}

JNIEXPORT jlong JNICALL Java_StlLeak_release(JNIEnv *, jclass)
{
    return leakstl::release_all();
}

} // extern "C"
