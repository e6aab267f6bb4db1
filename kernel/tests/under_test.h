/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _METER_UNDER_TEST_H
#define _METER_UNDER_TEST_H

#include "../chip.h"
#include "../convert.h"
#include "../ring.h"
#include "../scaling.h"

#endif /* _METER_UNDER_TEST_H */
