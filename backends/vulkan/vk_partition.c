/* backends/vulkan/vk_partition.c - partitions on the device: prepare, instances, invoke.
 *
 * Owns: turning a partition into device work.
 *   prepare:      plans every node (vk_ops.c), checks the partition's tensors
 *                 (each activation read is a boundary input, a constant or
 *                 produced earlier in the partition; each tensor is written
 *                 once), lays out the regions, uploads the packed weights,
 *                 parameters and constant operands once, and gets the pipelines.
 *   instance_new: one buffer holding every activation region (host-visible on
 *                 unified memory; device-local plus a host-visible staging
 *                 buffer otherwise), a descriptor set per node, and ONE command
 *                 buffer with every dispatch and the barriers between them (and
 *                 the staging copies), recorded once; a fence.
 *   invoke:       copy inputs in, submit (queue under the state's mutex), wait
 *                 with the configured timeout, copy outputs out. No allocation,
 *                 no object creation; device errors return -1 with a message.
 * Regions are the tensor bytes rounded up to a word, plus a slack word the
 * fallback kernels' unaligned 4-byte reads may touch, at offsets aligned for
 * storage buffer bindings. Intermediate tensors never leave the device.
 * Does not own the kernels' parameters (vk_ops.c) or the device (vk_device.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk_backend.h"

typedef enum slot_kind { SLOT_CONST, SLOT_INPUT, SLOT_INTERNAL } slot_kind;

/* One tensor the partition touches. */
typedef struct vk_slot {
    int32_t tensor;
    slot_kind kind;
    bool output;         /* a boundary output (copied out by invoke) */
    size_t bytes;        /* the tensor's bytes */
    VkDeviceSize size;   /* its region */
    VkDeviceSize offset; /* in the constant buffer (SLOT_CONST) or the activation buffer */
    VkDeviceSize stage;  /* in the staging buffer (boundary tensors, staging memory only) */
    const void *data;    /* SLOT_CONST: the constant bytes (valid until release) */
} vk_slot;

typedef struct vk_pnode {
    vk_plan plan;
    int32_t src[2], dst; /* slot ids (src[1] -1 unless ADD) */
    VkDeviceSize w_off, w_size, p_off, p_size;
    VkPipeline pipe;
} vk_pnode;

typedef struct vk_part {
    vk_state *s;
    bool holds_device; /* a vk_device_get to put back */
    int32_t first, n_nodes;
    vk_pnode *nodes;
    int32_t n_slots;
    vk_slot *slots;
    int32_t n_in, n_out;
    int32_t *in_slot, *out_slot;
    vk_buffer consts;
    VkDeviceSize act_bytes, stage_bytes;
} vk_part;

typedef struct vk_inst {
    vk_part *p;
    vk_buffer act, stage;
    VkDescriptorPool dpool;
    VkDescriptorSet *sets;
    VkCommandPool cpool;
    VkCommandBuffer cmd;
    VkFence fence;
    bool pending; /* a submission that timed out may still run */
} vk_inst;

static VkDeviceSize align_up(VkDeviceSize v, VkDeviceSize a)
{
    return (v + a - 1) & ~(a - 1);
}

/* ---- prepare: the partition's tensors ---- */

static int add_slot(vk_part *pt, int32_t *map, const edge_be_tensor *t, slot_kind kind, char *err,
                    size_t errlen)
{
    const size_t esize = vk_type_size(t->type);
    const int64_t count = vk_tensor_count(t);
    if (esize == 0 || count < 1 || t->bytes != (size_t)count * esize)
        return vk_fail(err, errlen, "tensor %d (%s) has a type or size the back end cannot move",
                       (int)t->index, t->name);
    if ((VkDeviceSize)t->bytes + 8 > pt->s->max_range)
        return vk_fail(err, errlen, "tensor %d (%zu bytes) exceeds the storage buffer range",
                       (int)t->index, t->bytes);
    vk_slot *sl = &pt->slots[pt->n_slots];
    *sl = (vk_slot){
        .tensor = t->index,
        .kind = kind,
        .bytes = t->bytes,
        .size = align_up(t->bytes, 4) + 4,
        .data = kind == SLOT_CONST ? t->data : NULL,
    };
    map[t->index] = pt->n_slots++;
    return 0;
}

/* The slot of a tensor node NODE reads: an existing one or a new constant. */
static int source_slot(vk_part *pt, int32_t *map, const edge_be_graph *g, int32_t tensor,
                       int32_t *slot, char *err, size_t errlen)
{
    const edge_be_tensor *t = vk_tensor(g, tensor);
    if (!t)
        return vk_fail(err, errlen, "reads tensor %d, which does not exist", (int)tensor);
    if (map[t->index] < 0) {
        if (!t->data)
            return vk_fail(err, errlen,
                           "reads tensor %d, which is neither a partition input, a constant "
                           "nor produced earlier in the partition",
                           (int)tensor);
        if (add_slot(pt, map, t, SLOT_CONST, err, errlen))
            return -1;
    }
    *slot = map[t->index];
    return 0;
}

static int plan_nodes(vk_part *pt, int32_t *map, const edge_be_partition *p, char *err,
                      size_t errlen)
{
    const edge_be_graph *g = p->graph;
    for (int32_t i = 0; i < pt->n_nodes; i++) {
        const edge_be_node *n = &g->nodes[p->first + i];
        vk_pnode *pn = &pt->nodes[i];
        char why[256] = "";
        if (vk_plan_node(pt->s, g, n, true, &pn->plan, why, sizeof why))
            return vk_fail(err, errlen, "node %d (operator %d in the file): %s", (int)n->position,
                           (int)n->file_index, why);
        pn->src[1] = -1;
        for (int k = 0; k < 2; k++)
            if (pn->plan.src[k] >= 0 &&
                source_slot(pt, map, g, pn->plan.src[k], &pn->src[k], why, sizeof why))
                return vk_fail(err, errlen, "node %d: %s", (int)n->position, why);
        const edge_be_tensor *t = vk_tensor(g, pn->plan.dst);
        if (!t || map[t->index] >= 0 || t->data)
            return vk_fail(err, errlen,
                           "node %d writes tensor %d, which is an input, a constant or "
                           "written twice",
                           (int)n->position, (int)pn->plan.dst);
        if (add_slot(pt, map, t, SLOT_INTERNAL, err, errlen))
            return -1;
        pn->dst = map[t->index];
    }
    return 0;
}

static int boundary(vk_part *pt, int32_t *map, const edge_be_partition *p, char *err, size_t errlen)
{
    const edge_be_graph *g = p->graph;
    for (int32_t i = 0; i < p->n_inputs; i++) {
        const edge_be_tensor *t = vk_tensor(g, p->inputs[i]);
        if (!t || t->data || map[t->index] >= 0)
            return vk_fail(err, errlen,
                           "partition input %d (tensor %d) is missing, constant or repeated",
                           (int)i, (int)p->inputs[i]);
        if (add_slot(pt, map, t, SLOT_INPUT, err, errlen))
            return -1;
        pt->in_slot[i] = map[t->index];
    }
    return 0;
}

static int outputs(vk_part *pt, const int32_t *map, const edge_be_partition *p, char *err,
                   size_t errlen)
{
    for (int32_t i = 0; i < p->n_outputs; i++) {
        const edge_be_tensor *t = vk_tensor(p->graph, p->outputs[i]);
        const int32_t sl = t ? map[t->index] : -1;
        if (sl < 0 || pt->slots[sl].kind != SLOT_INTERNAL || pt->slots[sl].output)
            return vk_fail(err, errlen,
                           "partition output %d (tensor %d) is not produced by the partition "
                           "or repeated",
                           (int)i, (int)p->outputs[i]);
        pt->slots[sl].output = true;
        pt->out_slot[i] = sl;
    }
    return 0;
}

/* ---- prepare: layout and upload ---- */

static void layout(vk_part *pt, VkDeviceSize *const_bytes)
{
    const VkDeviceSize a = pt->s->align;
    VkDeviceSize c = 0, act = 0, stage = 0;
    for (int32_t i = 0; i < pt->n_nodes; i++) {
        vk_pnode *pn = &pt->nodes[i];
        pn->w_size = pn->plan.n_weights * 4;
        pn->p_size = pn->plan.n_params * 4;
        if (pn->w_size) {
            pn->w_off = c;
            c = align_up(c + pn->w_size, a);
        }
        if (pn->p_size) {
            pn->p_off = c;
            c = align_up(c + pn->p_size, a);
        }
    }
    for (int32_t i = 0; i < pt->n_slots; i++) {
        vk_slot *sl = &pt->slots[i];
        if (sl->kind == SLOT_CONST) {
            sl->offset = c;
            c = align_up(c + sl->size, a);
            continue;
        }
        sl->offset = act;
        act = align_up(act + sl->size, a);
        if (sl->kind == SLOT_INPUT || sl->output) {
            sl->stage = stage;
            stage = align_up(stage + sl->size, a);
        }
    }
    *const_bytes = c ? c : a;
    pt->act_bytes = act ? act : a;
    pt->stage_bytes = stage ? stage : a;
}

/* The constant buffer's bytes, in host memory DST of CONST_BYTES. */
static void fill_consts(const vk_part *pt, unsigned char *dst)
{
    for (int32_t i = 0; i < pt->n_nodes; i++) {
        const vk_pnode *pn = &pt->nodes[i];
        if (pn->w_size)
            memcpy(dst + pn->w_off, pn->plan.weights, (size_t)pn->w_size);
        if (pn->p_size)
            memcpy(dst + pn->p_off, pn->plan.params, (size_t)pn->p_size);
    }
    for (int32_t i = 0; i < pt->n_slots; i++)
        if (pt->slots[i].kind == SLOT_CONST)
            memcpy(dst + pt->slots[i].offset, pt->slots[i].data, pt->slots[i].bytes);
}

static int upload(vk_part *pt, VkDeviceSize bytes, char *err, size_t errlen)
{
    vk_state *s = pt->s;
    if (vk_buffer_new(s, bytes, s->unified, &pt->consts, err, errlen))
        return -1;
    if (s->unified) {
        fill_consts(pt, pt->consts.map);
        return vk_buffer_flush(s, &pt->consts, err, errlen);
    }
    unsigned char *host = calloc(1, (size_t)bytes);
    if (!host)
        return vk_fail(err, errlen, "out of memory for %llu bytes of weights",
                       (unsigned long long)bytes);
    fill_consts(pt, host);
    const int rc = vk_upload(s, &pt->consts, 0, host, bytes, err, errlen);
    free(host);
    return rc;
}

static int check_partition(const edge_be_partition *p, char *err, size_t errlen)
{
    if (!p || !p->graph || !p->graph->nodes || p->first < 0 || p->count < 1 ||
        p->first > p->graph->n_nodes - p->count || p->n_inputs < 0 || p->n_outputs < 0 ||
        (p->n_inputs > 0 && !p->inputs) || (p->n_outputs > 0 && !p->outputs))
        return vk_fail(err, errlen, "malformed partition description");
    return 0;
}

int vk_prepare(vk_state *s, const edge_be_partition *p, void **out, char *err, size_t errlen)
{
    if (check_partition(p, err, errlen) || vk_device_get(s, err, errlen))
        return -1;
    const edge_be_graph *g = p->graph;
    vk_part *pt = calloc(1, sizeof *pt);
    int32_t *map = malloc((size_t)(g->n_tensors > 0 ? g->n_tensors : 1) * sizeof *map);
    int rc = -1;
    if (!pt || !map) {
        vk_fail(err, errlen, "out of memory");
        if (!pt)
            vk_device_put(s);
        goto done;
    }
    pt->s = s;
    pt->holds_device = true;
    pt->first = p->first;
    pt->n_nodes = p->count;
    pt->n_in = p->n_inputs;
    pt->n_out = p->n_outputs;
    pt->nodes = calloc((size_t)p->count, sizeof *pt->nodes);
    pt->slots = calloc((size_t)p->n_inputs + 3 * (size_t)p->count, sizeof *pt->slots);
    pt->in_slot = calloc((size_t)p->n_inputs + 1, sizeof *pt->in_slot);
    pt->out_slot = calloc((size_t)p->n_outputs + 1, sizeof *pt->out_slot);
    if (!pt->nodes || !pt->slots || !pt->in_slot || !pt->out_slot) {
        vk_fail(err, errlen, "out of memory");
        goto done;
    }
    for (int32_t i = 0; i < g->n_tensors; i++)
        map[i] = -1;
    VkDeviceSize const_bytes;
    if (boundary(pt, map, p, err, errlen) || plan_nodes(pt, map, p, err, errlen) ||
        outputs(pt, map, p, err, errlen))
        goto done;
    layout(pt, &const_bytes);
    if (upload(pt, const_bytes, err, errlen))
        goto done;
    for (int32_t i = 0; i < pt->n_nodes; i++) {
        vk_pnode *pn = &pt->nodes[i];
        if (vk_pipeline_get(s, pn->plan.kernel, &pn->pipe, err, errlen))
            goto done;
        vk_plan_free(&pn->plan); /* the device holds the weights now */
    }
    vk_log(s, EDGE_BE_LOG_DEBUG,
           "vulkan: nodes %d-%d: %d dispatches, %llu bytes of weights, %llu of activations",
           (int)p->first, (int)(p->first + p->count - 1), (int)p->count,
           (unsigned long long)const_bytes, (unsigned long long)pt->act_bytes);
    *out = pt;
    rc = 0;
done:
    free(map);
    if (rc)
        vk_release(pt);
    return rc;
}

void vk_release(void *part)
{
    vk_part *pt = part;
    if (!pt)
        return;
    if (pt->consts.buf)
        vk_buffer_free(pt->s, &pt->consts);
    for (int32_t i = 0; pt->nodes && i < pt->n_nodes; i++)
        vk_plan_free(&pt->nodes[i].plan);
    free(pt->nodes);
    free(pt->slots);
    free(pt->in_slot);
    free(pt->out_slot);
    if (pt->holds_device)
        vk_device_put(pt->s);
    free(pt);
}

/* ---- instances ---- */

/* The buffer and range binding I of node PN reads or writes. */
static VkDescriptorBufferInfo binding(const vk_inst *in, const vk_pnode *pn, int i)
{
    const vk_part *pt = in->p;
    int32_t sl = pn->dst;
    if (i == 1)
        sl = pn->src[0];
    else if (i == 2 && pn->src[1] >= 0)
        sl = pn->src[1];
    if (i == 2 && pn->w_size)
        return (VkDescriptorBufferInfo){pt->consts.buf, pn->w_off, pn->w_size};
    if (i == 3 && pn->p_size)
        return (VkDescriptorBufferInfo){pt->consts.buf, pn->p_off, pn->p_size};
    const vk_slot *s = &pt->slots[sl];
    const VkBuffer buf = s->kind == SLOT_CONST ? pt->consts.buf : in->act.buf;
    return (VkDescriptorBufferInfo){buf, s->offset, s->size};
}

static int descriptors(vk_inst *in, char *err, size_t errlen)
{
    vk_part *pt = in->p;
    VkDevice dev = pt->s->dev;
    const VkDescriptorPoolSize size = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                       4 * (uint32_t)pt->n_nodes};
    const VkDescriptorPoolCreateInfo dpi = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
        .maxSets = (uint32_t)pt->n_nodes,
        .poolSizeCount = 1,
        .pPoolSizes = &size,
    };
    VkResult r = vkCreateDescriptorPool(dev, &dpi, NULL, &in->dpool);
    if (r != VK_SUCCESS) {
        in->dpool = VK_NULL_HANDLE;
        return vk_fail(err, errlen, "vkCreateDescriptorPool: %s", vk_result_name(r));
    }
    VkDescriptorSetLayout *layouts = malloc((size_t)pt->n_nodes * sizeof *layouts);
    in->sets = calloc((size_t)pt->n_nodes, sizeof *in->sets);
    if (!layouts || !in->sets) {
        free(layouts);
        return vk_fail(err, errlen, "out of memory");
    }
    for (int32_t i = 0; i < pt->n_nodes; i++)
        layouts[i] = pt->s->set_layout;
    const VkDescriptorSetAllocateInfo ai = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
        .descriptorPool = in->dpool,
        .descriptorSetCount = (uint32_t)pt->n_nodes,
        .pSetLayouts = layouts,
    };
    r = vkAllocateDescriptorSets(dev, &ai, in->sets);
    free(layouts);
    if (r != VK_SUCCESS)
        return vk_fail(err, errlen, "vkAllocateDescriptorSets: %s", vk_result_name(r));
    for (int32_t i = 0; i < pt->n_nodes; i++) {
        VkDescriptorBufferInfo info[4];
        VkWriteDescriptorSet w[4];
        for (int b = 0; b < 4; b++) {
            info[b] = binding(in, &pt->nodes[i], b);
            w[b] = (VkWriteDescriptorSet){
                .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                .dstSet = in->sets[i],
                .dstBinding = (uint32_t)b,
                .descriptorCount = 1,
                .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                .pBufferInfo = &info[b],
            };
        }
        vkUpdateDescriptorSets(dev, 4, w, 0, NULL);
    }
    return 0;
}

static void barrier(VkCommandBuffer cmd, VkPipelineStageFlags src, VkAccessFlags src_access,
                    VkPipelineStageFlags dst, VkAccessFlags dst_access)
{
    const VkMemoryBarrier mb = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = src_access,
        .dstAccessMask = dst_access,
    };
    vkCmdPipelineBarrier(cmd, src, dst, 0, 1, &mb, 0, NULL, 0, NULL);
}

/* Copy the boundary regions (inputs when IN, else outputs) between the staging
 * and the activation buffers. */
static void stage_copies(vk_inst *in, bool inputs)
{
    const vk_part *pt = in->p;
    for (int32_t i = 0; i < pt->n_slots; i++) {
        const vk_slot *sl = &pt->slots[i];
        if (inputs ? sl->kind != SLOT_INPUT : !sl->output)
            continue;
        const VkBufferCopy c = {
            .srcOffset = inputs ? sl->stage : sl->offset,
            .dstOffset = inputs ? sl->offset : sl->stage,
            .size = sl->size,
        };
        vkCmdCopyBuffer(in->cmd, inputs ? in->stage.buf : in->act.buf,
                        inputs ? in->act.buf : in->stage.buf, 1, &c);
    }
}

static void record_dispatches(vk_inst *in)
{
    const vk_part *pt = in->p;
    const VkPipelineStageFlags cs = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
    VkPipeline bound = VK_NULL_HANDLE;
    for (int32_t i = 0; i < pt->n_nodes; i++) {
        const vk_pnode *pn = &pt->nodes[i];
        if (i > 0)
            barrier(in->cmd, cs, VK_ACCESS_SHADER_WRITE_BIT, cs,
                    VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
        if (pn->pipe != bound)
            vkCmdBindPipeline(in->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pn->pipe);
        bound = pn->pipe;
        vkCmdBindDescriptorSets(in->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pt->s->layout, 0, 1,
                                &in->sets[i], 0, NULL);
        vkCmdPushConstants(in->cmd, pt->s->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                           pn->plan.n_push * 4, pn->plan.push);
        vkCmdDispatch(in->cmd, pn->plan.groups_x, pn->plan.groups_y, 1);
    }
}

static int record(vk_inst *in, char *err, size_t errlen)
{
    const VkPipelineStageFlags cs = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                               xfer = VK_PIPELINE_STAGE_TRANSFER_BIT,
                               host = VK_PIPELINE_STAGE_HOST_BIT;
    const bool unified = in->p->s->unified;
    const VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    VkResult r = vkBeginCommandBuffer(in->cmd, &bi);
    if (r != VK_SUCCESS)
        return vk_fail(err, errlen, "vkBeginCommandBuffer: %s", vk_result_name(r));
    if (!unified) {
        stage_copies(in, true);
        barrier(in->cmd, xfer, VK_ACCESS_TRANSFER_WRITE_BIT, cs,
                VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
    }
    record_dispatches(in);
    if (!unified) {
        barrier(in->cmd, cs, VK_ACCESS_SHADER_WRITE_BIT, xfer, VK_ACCESS_TRANSFER_READ_BIT);
        stage_copies(in, false);
        barrier(in->cmd, xfer, VK_ACCESS_TRANSFER_WRITE_BIT, host, VK_ACCESS_HOST_READ_BIT);
    } else {
        barrier(in->cmd, cs, VK_ACCESS_SHADER_WRITE_BIT, host, VK_ACCESS_HOST_READ_BIT);
    }
    if ((r = vkEndCommandBuffer(in->cmd)) != VK_SUCCESS)
        return vk_fail(err, errlen, "vkEndCommandBuffer: %s", vk_result_name(r));
    return 0;
}

static int commands(vk_inst *in, char *err, size_t errlen)
{
    vk_state *s = in->p->s;
    const VkCommandPoolCreateInfo cp = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .queueFamilyIndex = (uint32_t)s->phys[s->selected].queue_family,
    };
    VkResult r = vkCreateCommandPool(s->dev, &cp, NULL, &in->cpool);
    if (r != VK_SUCCESS) {
        in->cpool = VK_NULL_HANDLE;
        return vk_fail(err, errlen, "vkCreateCommandPool: %s", vk_result_name(r));
    }
    const VkCommandBufferAllocateInfo ai = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = in->cpool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    if ((r = vkAllocateCommandBuffers(s->dev, &ai, &in->cmd)) != VK_SUCCESS)
        return vk_fail(err, errlen, "vkAllocateCommandBuffers: %s", vk_result_name(r));
    const VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if ((r = vkCreateFence(s->dev, &fci, NULL, &in->fence)) != VK_SUCCESS) {
        in->fence = VK_NULL_HANDLE;
        return vk_fail(err, errlen, "vkCreateFence: %s", vk_result_name(r));
    }
    return record(in, err, errlen);
}

int vk_instance_new(void *part, void **out, char *err, size_t errlen)
{
    vk_part *pt = part;
    if (!pt)
        return vk_fail(err, errlen, "no partition");
    vk_state *s = pt->s;
    vk_inst *in = calloc(1, sizeof *in);
    if (!in)
        return vk_fail(err, errlen, "out of memory");
    in->p = pt;
    if (vk_buffer_new(s, pt->act_bytes, s->unified, &in->act, err, errlen) ||
        (!s->unified && vk_buffer_new(s, pt->stage_bytes, true, &in->stage, err, errlen)) ||
        descriptors(in, err, errlen) || commands(in, err, errlen)) {
        vk_instance_free(in);
        return -1;
    }
    *out = in;
    return 0;
}

void vk_instance_free(void *inst)
{
    vk_inst *in = inst;
    if (!in)
        return;
    vk_state *s = in->p->s;
    if (in->pending) {
        bool timed_out = false;
        char why[256];
        const uint32_t ms = s->timeout_ms > VK_FREE_WAIT_MS ? s->timeout_ms : VK_FREE_WAIT_MS;
        if (vk_wait(s, in->fence, ms, &timed_out, why, sizeof why) && timed_out) {
            vk_log(s, EDGE_BE_LOG_WARN,
                   "vulkan: an instance's work is still running at free; its buffers are "
                   "leaked");
            free(in->sets);
            free(in);
            return;
        }
    }
    if (in->fence)
        vkDestroyFence(s->dev, in->fence, NULL);
    if (in->cpool)
        vkDestroyCommandPool(s->dev, in->cpool, NULL);
    if (in->dpool)
        vkDestroyDescriptorPool(s->dev, in->dpool, NULL);
    if (in->act.buf)
        vk_buffer_free(s, &in->act);
    if (in->stage.buf)
        vk_buffer_free(s, &in->stage);
    free(in->sets);
    free(in);
}

/* ---- invoke ---- */

/* A timed-out submission must finish before the command buffer is used again. */
static int settle(vk_inst *in, char *err, size_t errlen)
{
    if (!in->pending)
        return 0;
    const VkResult r = vkGetFenceStatus(in->p->s->dev, in->fence);
    if (r == VK_NOT_READY)
        return vk_fail(err, errlen,
                       "the Vulkan device is still running an earlier inference that timed out");
    if (r != VK_SUCCESS) {
        if (r == VK_ERROR_DEVICE_LOST)
            atomic_store(&in->p->s->lost, true);
        return vk_fail(err, errlen, "vkGetFenceStatus: %s", vk_result_name(r));
    }
    in->pending = false;
    return 0;
}

int vk_invoke(void *inst, const void *const *inputs, void *const *outputs, char *err, size_t errlen)
{
    vk_inst *in = inst;
    if (!in || (in->p->n_in > 0 && !inputs) || (in->p->n_out > 0 && !outputs))
        return vk_fail(err, errlen, "invoke without an instance or tensor pointers");
    vk_part *pt = in->p;
    vk_state *s = pt->s;
    if (atomic_load(&s->lost))
        return vk_fail(err, errlen, "the Vulkan device was lost earlier; restart edged");
    if (settle(in, err, errlen))
        return -1;
    for (int32_t i = 0; i < pt->n_out; i++)
        if (!outputs[i])
            return vk_fail(err, errlen, "output %d has no data pointer", (int)i);
    const vk_buffer *host = s->unified ? &in->act : &in->stage;
    unsigned char *map = host->map;
    for (int32_t i = 0; i < pt->n_in; i++) {
        const vk_slot *sl = &pt->slots[pt->in_slot[i]];
        if (!inputs[i])
            return vk_fail(err, errlen, "input %d has no data pointer", (int)i);
        memcpy(map + (s->unified ? sl->offset : sl->stage), inputs[i], sl->bytes);
    }
    if (vk_buffer_flush(s, host, err, errlen))
        return -1;
    VkResult r = vkResetFences(s->dev, 1, &in->fence);
    if (r != VK_SUCCESS)
        return vk_fail(err, errlen, "vkResetFences: %s", vk_result_name(r));
    if (vk_submit(s, in->cmd, in->fence, err, errlen))
        return -1;
    bool timed_out = false;
    if (vk_wait(s, in->fence, s->timeout_ms, &timed_out, err, errlen)) {
        in->pending = timed_out;
        return -1;
    }
    if (vk_buffer_invalidate(s, host, err, errlen))
        return -1;
    for (int32_t i = 0; i < pt->n_out; i++) {
        const vk_slot *sl = &pt->slots[pt->out_slot[i]];
        memcpy(outputs[i], map + (s->unified ? sl->offset : sl->stage), sl->bytes);
    }
    return 0;
}
