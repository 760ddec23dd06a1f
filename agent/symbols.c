#include "symbols.h"

#include <stdio.h>

#include "elf_symbols.h"
#include "json_text.h"
#include "modules.h"

/* The module pc was in when the frame was captured (generation gen), even if it was unloaded
 * since (its symbols were kept) or another object now sits at that address. */
static struct lb_module *module_of(uintptr_t pc, unsigned gen)
{
    struct lb_module *m = lb_modules_find_at(pc, gen);
    if (m)
        return m;
    size_t n;
    struct lb_module *const *all = lb_modules_all(&n);
    for (size_t i = n; i-- > 0;)
        if (pc >= all[i]->start && pc < all[i]->end)
            return all[i];
    return NULL;
}

static json_t *hex(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "0x%llx", (unsigned long long)v);
    return json_string(s);
}

json_t *lb_symbols_frame_json(const struct lb_frame *frame, unsigned module_gen)
{
    uintptr_t pc = frame->id - 1;
    struct lb_module *m = module_of(pc, module_gen);
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("native"));
    if (!m) {
        json_object_set_new(o, "module", json_null());
        json_object_set_new(o, "symbol", json_null());
        json_object_set_new(o, "offset", hex(pc));
        return o;
    }
    uint64_t offset = pc - m->base, within = 0;
    const struct lb_elf_symbols *syms = lb_modules_symbols(m);
    const char *name = syms ? lb_elf_symbols_lookup(syms, offset, &within) : NULL;
    json_object_set_new(o, "module", lb_json_text(m->path));
    json_object_set_new(o, "symbol", name ? lb_json_text(name) : json_null());
    json_object_set_new(o, "offset", hex(offset));
    if (name)
        json_object_set_new(o, "symbol_offset", json_integer((json_int_t)within));
    return o;
}

json_t *lb_symbols_modules_json(void)
{
    size_t n;
    struct lb_module *const *all = lb_modules_all(&n);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct lb_module *m = all[i];
        char base[24];
        snprintf(base, sizeof base, "0x%llx", (unsigned long long)m->base);
        json_array_append_new(
            list,
            json_pack(
                "{s:o,s:s,s:I,s:o,s:b,s:b,s:s,s:s}", "path", lb_json_text(m->path), "base", base,
                "size", (json_int_t)(m->end - m->start), "build_id",
                m->build_id[0] ? json_string(m->build_id) : json_null(), "deleted",
                lb_modules_deleted(m), "loaded", atomic_load(&m->loaded), "role",
                lb_modules_role_name((enum lb_module_role)atomic_load(&m->role)), "tracking",
                lb_modules_tracking_name((enum lb_module_tracking)atomic_load(&m->tracking))));
    }
    return list;
}
