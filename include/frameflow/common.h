/*
 * Macros shared by every frameflow header: symbol export and the marker for
 * functions whose result must be checked.
 */
#ifndef FRAMEFLOW_COMMON_H
#define FRAMEFLOW_COMMON_H

#if defined(__GNUC__) || defined(__clang__)
#define FF_API __attribute__((visibility("default")))
#define FF_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define FF_API
#define FF_WARN_UNUSED
#endif

#endif
