/* File paths kept for the agent's lifetime, one copy each: a mapped file's site names its file,
 * and sites compare paths by pointer. Memory from the agent's arena. */
#ifndef LB_FILE_PATHS_H
#define LB_FILE_PATHS_H

/* The kept copy of path; "<other files>" once the table (4096 paths) is full, NULL only when
 * out of memory. Takes a lock: for sampled file mappings, never an unsampled path. */
const char *lb_file_paths_intern(const char *path);

#endif
