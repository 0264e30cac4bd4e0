/* status.c — names and messages of fedc_status, from the one table in fedc/base.h.
 * Must not allocate or depend on anything else. */
#include "fedc/base.h"

const char *fedc_status_name(fedc_status status) {
    switch (status) {
#define FEDC_STATUS_NAME_(name, value, message)                                                    \
    case FEDC_STATUS_##name: return #name;
        FEDC_STATUS_TABLE(FEDC_STATUS_NAME_)
#undef FEDC_STATUS_NAME_
    }
    return "UNKNOWN_STATUS";
}

const char *fedc_status_message(fedc_status status) {
    switch (status) {
#define FEDC_STATUS_MESSAGE_(name, value, message)                                                 \
    case FEDC_STATUS_##name: return message;
        FEDC_STATUS_TABLE(FEDC_STATUS_MESSAGE_)
#undef FEDC_STATUS_MESSAGE_
    }
    return "unknown status";
}

const char *fedc_version(void) { return FEDC_VERSION_STRING; }
