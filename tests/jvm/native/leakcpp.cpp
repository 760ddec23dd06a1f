// libleakcpp.so: C++ allocations. hold_arrays keeps `new char[3001]` blocks and hold_widgets
// keeps `new Widget` objects of 1019 bytes, in static arrays; churn_cpp news and deletes every
// variant (plain, array, nothrow, aligned, sized delete) and keeps nothing.
#include <jni.h>
#include <cstddef>
#include <cstring>
#include <new>

#define LOCAL __attribute__((noinline, noclone))
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

namespace leakcpp
{

const int MAX_KEPT = 100000;
const std::size_t ARRAY_SIZE = 3001;

struct Widget {
    LOCAL explicit Widget(int seed);
    char payload[1019];
};
static_assert(sizeof(Widget) == 1019, "Widget is the 1019-byte fingerprint");

Widget::Widget(int seed)
{
    std::memset(payload, seed & 0x7f, sizeof payload);
}

struct alignas(64) Aligned {
    char bytes[192];
};

static char *arrays[MAX_KEPT];
static int narrays;
static Widget *widgets[MAX_KEPT];
static int nwidgets;

LOCAL int hold_arrays(int n)
{
    int held = 0;
    for (int i = 0; i < n && narrays < MAX_KEPT; i++) {
        char *p = new char[ARRAY_SIZE];
        std::memset(p, 1 + i % 120, ARRAY_SIZE);
        arrays[narrays++] = p;
        held++;
    }
    return held;
}

LOCAL int hold_widgets(int n)
{
    int held = 0;
    for (int i = 0; i < n && nwidgets < MAX_KEPT; i++) {
        widgets[nwidgets++] = new Widget(i);
        held++;
    }
    return held;
}

LOCAL long churn_cpp(int rounds)
{
    long made = 0;
    for (int i = 0; i < rounds; i++) {
        std::size_t size = std::size_t(64) << (i % 11);

        char *a = new char[size];
        a[0] = 1;
        ESCAPE(a);
        delete[] a;

        Widget *w = new Widget(i);
        ESCAPE(w);
        delete w; // sized delete: operator delete(void*, size_t)

        char *nt = new (std::nothrow) char[size + 1];
        ESCAPE(nt);
        delete[] nt;

        Widget *nw = new (std::nothrow) Widget(i);
        ESCAPE(nw);
        delete nw;

        Aligned *al = new Aligned; // operator new(size_t, align_val_t)
        ESCAPE(al);
        delete al;

        Aligned *ala = new Aligned[3];
        ESCAPE(ala);
        delete[] ala;

        void *raw = ::operator new(size + 7);
        ESCAPE(raw);
        ::operator delete(raw);

        void *rawa = ::operator new(size, std::align_val_t(128));
        ESCAPE(rawa);
        ::operator delete(rawa, std::align_val_t(128));
        made += 8;
    }
    return made;
}

} // namespace leakcpp

extern "C" {

JNIEXPORT jint JNICALL Java_CppLeak_keepArrays(JNIEnv *, jclass, jint n)
{
    return leakcpp::hold_arrays(n);
}

JNIEXPORT jint JNICALL Java_CppLeak_keepWidgets(JNIEnv *, jclass, jint n)
{
    return leakcpp::hold_widgets(n);
}

JNIEXPORT jlong JNICALL Java_CppLeak_churn(JNIEnv *, jclass, jint rounds)
{
    return leakcpp::churn_cpp(rounds);
}

} // extern "C"
