/* portsec.h - umbrella header of libportsec */
#ifndef PORTSEC_H
#define PORTSEC_H
#include "ps_error.h"
#include "ps_util.h"
#include "ps_model.h"
#include "ps_inventory.h"
#include "ps_services.h"
#include "ps_probe.h"
#include "ps_scan.h"
#include "ps_fw.h"
#include "ps_hidden.h"
#include "ps_assess.h"
#include "ps_policy.h"
#include "ps_audit.h"
#include "ps_watch.h"
#include "ps_output.h"
const char *ps_version(void);
#endif
