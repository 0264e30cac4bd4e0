/* fedc/fedc.h — the whole public API: includes every layer's header. */
#ifndef FEDC_FEDC_H
#define FEDC_FEDC_H

#include "fedc/base.h"
#include "fedc/base_json.h"
#include "fedc/tensor.h"
#include "fedc/nn.h"
#include "fedc/data.h"
#include "fedc/core.h"
#include "fedc/core_exec.h"
#include "fedc/core_data.h"
#include "fedc/learning.h"
#include "fedc/learning_agg.h"
#include "fedc/learning_kmeans.h"
#include "fedc/learning_program.h"
#include "fedc/learning_train.h"

#endif /* FEDC_FEDC_H */
