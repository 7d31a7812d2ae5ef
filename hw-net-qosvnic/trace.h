#include "trace/trace-hw_net_qosvnic.h"
