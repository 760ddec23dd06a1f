/* The entry points of include/leakbridge/leakbridge.h: the one symbol the agent exports for
 * libraries, leakbridge_pool_api_v1, a table the header's shims find with dlsym. Safe from any
 * thread at any time: before the agent is live and after VMDeath a block is not recorded (a
 * free still forgets one recorded), and a thread the JVM does not know gets native frames. */
#ifndef LB_POOL_API_H
#define LB_POOL_API_H

/* Puts the agent's library in the process's global scope, where the shims' dlsym looks: the
 * JVM loads agents with RTLD_LOCAL. Says why on stderr if it could not. */
void lb_pool_api_publish(void);

#endif
