import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repairTopology } from '../../src/model/tfjs/index.js';

describe('repairTopology', () => {
  it('nulls a DepthwiseConv2D constraint that is a regularizer, keeps its regularizer and every other layer', () => {
    const l2 = { class_name: 'L1L2', config: { l1: 0, l2: 0.0001 } };
    const maxNorm = { class_name: 'MaxNorm', config: { max_value: 2, axis: 0 } };
    const topology = {
      class_name: 'Model',
      config: {
        layers: [
          { class_name: 'DepthwiseConv2D', config: { depthwise_constraint: { ...l2 }, depthwise_regularizer: l2 } },
          { class_name: 'DepthwiseConv2D', config: { depthwiseConstraint: { class_name: 'L2', config: {} } } },
          { class_name: 'DepthwiseConv2D', config: { depthwise_constraint: maxNorm } },
          { class_name: 'Conv2D', config: { kernel_constraint: { ...l2 } } },
        ],
      },
    };
    assert.equal(repairTopology(topology), topology);
    assert.deepEqual(topology.config.layers, [
      { class_name: 'DepthwiseConv2D', config: { depthwise_constraint: null, depthwise_regularizer: l2 } },
      { class_name: 'DepthwiseConv2D', config: { depthwiseConstraint: null } },
      { class_name: 'DepthwiseConv2D', config: { depthwise_constraint: maxNorm } },
      { class_name: 'Conv2D', config: { kernel_constraint: l2 } },
    ]);
  });

  it('leaves values that are not topologies as they are', () => {
    assert.equal(repairTopology(null), null);
    assert.equal(repairTopology(3), 3);
    assert.deepEqual(repairTopology([{ class_name: 'DepthwiseConv2D', config: null }]), [
      { class_name: 'DepthwiseConv2D', config: null },
    ]);
  });
});
