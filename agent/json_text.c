#include "json_text.h"

#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if it is not one. */
static int utf8_length(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    int n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && p[0] < 0xC2) || (n == 4 && p[0] > 0xF4))
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((n == 3 && p[0] == 0xE0 && p[1] < 0xA0) || (n == 3 && p[0] == 0xED && p[1] > 0x9F) ||
        (n == 4 && p[0] == 0xF0 && p[1] < 0x90) || (n == 4 && p[0] == 0xF4 && p[1] > 0x8F))
        return 0; /* overlong, surrogate or beyond U+10FFFF */
    return n;
}

json_t *lb_json_text(const char *text)
{
    if (!text)
        return json_string("");
    json_t *s = json_string(text);
    if (s)
        return s;
    char *copy = strdup(text);
    if (!copy)
        return NULL;
    for (unsigned char *p = (unsigned char *)copy; *p;) {
        int n = utf8_length(p);
        if (n == 0)
            *p++ = '?';
        else
            p += n;
    }
    s = json_string(copy);
    free(copy);
    return s;
}
