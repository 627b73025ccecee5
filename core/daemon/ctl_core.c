/* placeholder, being written */
typedef int ts_placeholder_ctl_core;
