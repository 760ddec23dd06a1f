/* One-line diagnostics on stderr, always prefixed "leakbridge: ". */
#ifndef LB_LOG_H
#define LB_LOG_H

void lb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
