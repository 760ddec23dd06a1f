/* The top floor: JVMTI entry points (Agent_OnLoad, Agent_OnAttach), capabilities and event
 * callbacks. It fills the global state (runtime.h) and hands each event to the module that
 * owns it; nothing below calls back up here. */
#include "runtime.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "dump.h"
#include "dumper.h"
#include "gc.h"
#include "java_api.h"
#include "java_names.h"
#include "leakbridge/output_path.h"
#include "leakbridge/state_file.h"
#include "libraries.h"
#include "live_table.h"
#include "log.h"
#include "memory_limit.h"
#include "modules.h"
#include "mxbean.h"
#include "native_entry.h"
#include "pool_api.h"
#include "sampler.h"
#include "stacks.h"
#include "tracker.h"
#include "unsafe_attach.h"
#include "unsafe_hooks.h"

/* A child made by fork() (native code starting a process) has only the forking thread: locks
 * that other threads held (the live table's, the site table's, the dumper's) stay held for
 * ever there. The child tracks nothing, so its hooks never wait on them. */
static void forked_child(void)
{
    atomic_store(&lb_runtime.phase, LB_PHASE_DEAD);
    lb_tracker_stop();
}

static void release(jvmtiEnv *jvmti, void *p)
{
    if (p)
        (*jvmti)->Deallocate(jvmti, (unsigned char *)p);
}

static char *class_of(jvmtiEnv *jvmti, jmethodID method)
{
    jclass klass;
    char *sig = NULL;
    if ((*jvmti)->GetMethodDeclaringClass(jvmti, method, &klass) != JVMTI_ERROR_NONE ||
        (*jvmti)->GetClassSignature(jvmti, klass, &sig, NULL) != JVMTI_ERROR_NONE)
        return NULL;
    return sig;
}

/* A JNI library's native method enters through a stub that marks each call (native_entry.h),
 * so that the samples of one call walk its Java frames once (activation.h). The JDK's own
 * natives are left as they are. */
static void stub_jni_native(void *address, void **new_address)
{
    lb_native_entry_bound();
    if (!lb_runtime.options.native || lb_native_entry_is_stub(address))
        return;
    const struct lb_module *m = lb_modules_find((uintptr_t)address);
    int role = m ? atomic_load_explicit(&m->role, memory_order_relaxed) : -1;
    if (role != LB_ROLE_JNI && role != LB_ROLE_DEPENDENCY)
        return;
    void *stub = lb_native_entry_stub(address);
    if (stub)
        *new_address = stub;
}

static void JNICALL on_native_method_bind(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread,
                                          jmethodID method, void *address, void **new_address)
{
    (void)jni;
    (void)thread;
    stub_jni_native(address, new_address);
    char *name = NULL, *sig = NULL, *cls = NULL;
    if ((*jvmti)->GetMethodName(jvmti, method, &name, &sig, NULL) != JVMTI_ERROR_NONE)
        return;
    /* Cheap name test first: this event comes for every native method the JVM binds. */
    bool unsafe_memory = strstr(name, "Memory0") != NULL;
    bool loader = lb_runtime.options.native && strncmp(name, "load", 4) == 0;
    if ((unsafe_memory || loader) && (cls = class_of(jvmti, method)) != NULL) {
        if (unsafe_memory && strcmp(cls, "Ljdk/internal/misc/Unsafe;") == 0)
            lb_unsafe_hooks_bind(name, address, new_address);
        else if (loader)
            lb_libraries_bind(cls, name, sig, address, new_address);
    }
    release(jvmti, name);
    release(jvmti, sig);
    release(jvmti, cls);
}

/* AsyncGetCallTrace answers only while this event is enabled; it has nothing else to do. */
static void JNICALL on_class_load(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread, jclass klass)
{
    (void)jvmti;
    (void)jni;
    (void)thread;
    (void)klass;
}

static void JNICALL on_class_prepare(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread, jclass klass)
{
    (void)thread;
    lb_stacks_prepare_class(jvmti, klass);
    lb_java_api_prepare(jvmti, jni, klass);
    lb_mxbean_prepare(jvmti, jni, klass);
}

static void read_property(jvmtiEnv *jvmti, const char *key, char *out, size_t len)
{
    char *value = NULL;
    if ((*jvmti)->GetSystemProperty(jvmti, key, &value) == JVMTI_ERROR_NONE)
        snprintf(out, len, "%s", value);
    release(jvmti, value);
}

/* jcmd PID JVMTI.data_dump and SIGQUIT: handed to the dumper thread at once. */
static void JNICALL on_data_dump_request(jvmtiEnv *jvmti)
{
    (void)jvmti;
    lb_dumper_request(LB_DUMP_JCMD);
}

/* What needs a live JVM: at VMInit, or at once when attached to a running JVM. */
static void go_live(jvmtiEnv *jvmti, JNIEnv *jni)
{
    read_property(jvmti, "java.vm.version", lb_runtime.jvm_version, sizeof lb_runtime.jvm_version);
    read_property(jvmti, "java.vm.vendor", lb_runtime.jvm_vendor, sizeof lb_runtime.jvm_vendor);
    read_property(jvmti, "java.vm.name", lb_runtime.jvm_name, sizeof lb_runtime.jvm_name);
    lb_stacks_java_init(jvmti, jni);
    lb_gc_check_collector();
    if (lb_runtime.options.native) {
        char home[4096] = "";
        read_property(jvmti, "java.home", home, sizeof home);
        lb_libraries_start(home, lb_runtime.attached);
    }
    if (lb_runtime.attached) {
        char why[512];
        if (!lb_unsafe_attach(jvmti, jni, why, sizeof why))
            lb_log("Unsafe and direct buffer allocations are not tracked: %s", why);
        lb_java_api_attach(jvmti, jni);
    }
    atomic_store(&lb_runtime.phase, LB_PHASE_LIVE);
    lb_dumper_start(jvmti, jni);
    lb_mxbean_start(jvmti, jni);
}

static void JNICALL on_vm_init(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread)
{
    (void)thread;
    go_live(jvmti, jni);
}

/* An agent loaded into a running JVM has options no one else can read: it notes its output
 * pattern for 'leakbridge dump' (leakbridge/state_file.h), and takes the note back at exit. */
static char published[PATH_MAX + 64]; /* the state file this agent wrote, or "" */

static void publish_output(void)
{
    char dir[PATH_MAX], pattern[LB_OUTPUT_MAX + PATH_MAX + 2];
    lb_output_path_absolute(lb_runtime.options.output, pattern, sizeof pattern);
    if (lb_state_file_dir(getenv("XDG_RUNTIME_DIR"), dir, sizeof dir) &&
        lb_state_file_write(dir, (long)getpid(), pattern))
        lb_state_file_path(dir, (long)getpid(), published, sizeof published);
    else
        lb_log("'leakbridge dump %ld' will need --output: cannot note where reports go (%s)",
               (long)getpid(), strerror(errno));
}

static void unpublish_output(void)
{
    if (published[0])
        unlink(published);
}

static void JNICALL on_vm_death(jvmtiEnv *jvmti, JNIEnv *jni)
{
    (void)jvmti;
    (void)jni;
    lb_dumper_stop();
    lb_dump(LB_DUMP_EXIT);
    unpublish_output();
    atomic_store(&lb_runtime.phase, LB_PHASE_DEAD);
}

/* Every report of this run carries the same random id: pids repeat (every container's JVM is
 * pid 1), and a run id tells a restarted JVM's reports from the first one's. */
static void new_run_id(void)
{
    uint64_t id = 0;
    if (getrandom(&id, sizeof id, GRND_NONBLOCK) != (ssize_t)sizeof id)
        id = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() << 32 ^
             (uint64_t)(uintptr_t)&id;
    snprintf(lb_runtime.run_id, sizeof lb_runtime.run_id, "%016llx", (unsigned long long)id);
}

static jint start(JavaVM *vm)
{
    jvmtiEnv *jvmti;
    if ((*vm)->GetEnv(vm, (void **)&jvmti, JVMTI_VERSION_1_2) != JNI_OK) {
        lb_log("this JVM offers no JVMTI 1.2 environment");
        return JNI_ERR;
    }
    lb_runtime.vm = vm;
    lb_runtime.jvmti = jvmti;
    lb_clock_start();
    new_run_id();
    lb_memory_limit_start();
    pthread_atfork(NULL, NULL, forked_child);
    lb_dump_check_output();
    lb_sampler_set_mean(lb_runtime.options.sample);
    lb_live_table_set_exact(lb_runtime.options.sample == 0);
    lb_tracker_set_limits(lb_runtime.options.max_sites, lb_runtime.options.max_memory);
    lb_pool_api_publish();
    lb_java_names_init(jvmti);

    /* Early VM start: without it the Unsafe natives are bound (by RegisterNatives, very early)
     * in the primordial phase, where GetMethodName answers JVMTI_ERROR_WRONG_PHASE and the bind
     * event cannot name the method (docs/design.md, Hooks). A running JVM has bound them
     * already: attach mode finds them another way. */
    jvmtiCapabilities caps = {0};
    caps.can_generate_early_vmstart = !lb_runtime.attached;
    caps.can_generate_native_method_bind_events = 1;
    caps.can_generate_garbage_collection_events = 1;
    caps.can_get_line_numbers = 1;
    caps.can_get_source_file_name = 1;
    jvmtiError e = (*jvmti)->AddCapabilities(jvmti, &caps);
    if (e != JVMTI_ERROR_NONE) {
        lb_log("the JVM refused the capabilities leakbridge needs (JVMTI error %d)", (int)e);
        return JNI_ERR;
    }
    jvmtiEventCallbacks cb = {0};
    cb.VMInit = on_vm_init;
    cb.VMDeath = on_vm_death;
    cb.NativeMethodBind = on_native_method_bind;
    cb.ClassLoad = on_class_load;
    cb.ClassPrepare = on_class_prepare;
    cb.DataDumpRequest = on_data_dump_request;
    cb.GarbageCollectionFinish = lb_gc_on_finish;
    (*jvmti)->SetEventCallbacks(jvmti, &cb, sizeof cb);
    jvmtiEvent events[] = {JVMTI_EVENT_VM_INIT,
                           JVMTI_EVENT_VM_DEATH,
                           JVMTI_EVENT_NATIVE_METHOD_BIND,
                           JVMTI_EVENT_CLASS_LOAD,
                           JVMTI_EVENT_CLASS_PREPARE,
                           JVMTI_EVENT_DATA_DUMP_REQUEST,
                           JVMTI_EVENT_GARBAGE_COLLECTION_FINISH};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        e = (*jvmti)->SetEventNotificationMode(jvmti, JVMTI_ENABLE, events[i], NULL);
        if (e != JVMTI_ERROR_NONE) {
            lb_log("cannot enable JVMTI event %d (error %d)", (int)events[i], (int)e);
            return JNI_ERR;
        }
    }
    return JNI_OK;
}

/* One agent per JVM: loading the same library again (a second agent_load) must not wrap its
 * own wrappers. */
static _Atomic bool active;

static bool parse_options(const char *options)
{
    char err[512];
    if (lb_options_parse(options, &lb_runtime.options, err, sizeof err))
        return true;
    lb_log("%s", err);
    return false;
}

JNIEXPORT jint JNICALL Agent_OnLoad(JavaVM *vm, char *options, void *reserved)
{
    (void)reserved;
    if (atomic_exchange(&active, true)) {
        lb_log("loaded twice: the second -agentpath is ignored");
        return JNI_OK;
    }
    if (!parse_options(options))
        return JNI_ERR;
    return start(vm);
}

JNIEXPORT jint JNICALL Agent_OnAttach(JavaVM *vm, char *options, void *reserved)
{
    (void)reserved;
    if (atomic_load(&active)) {
        lb_log("already active in this JVM, options unchanged; writing a report");
        lb_dumper_request(LB_DUMP_ATTACH);
        return JNI_OK;
    }
    /* Bad options leave nothing behind: the user can attach again with good ones. */
    struct lb_options opts;
    char err[512];
    if (!lb_options_parse(options, &opts, err, sizeof err)) {
        lb_log("not attached: %s", err);
        return JNI_ERR;
    }
    if (atomic_exchange(&active, true))
        return JNI_OK;
    lb_runtime.options = opts;
    lb_runtime.attached = true;
    if (start(vm) != JNI_OK)
        return JNI_ERR;
    JNIEnv *jni;
    if ((*vm)->GetEnv(vm, (void **)&jni, JNI_VERSION_1_6) != JNI_OK) {
        lb_log("attached thread has no JNI environment: not tracking");
        return JNI_ERR;
    }
    go_live(lb_runtime.jvmti, jni);
    publish_output();
    lb_log("attached to the running JVM: tracking allocations from now on");
    return JNI_OK;
}
