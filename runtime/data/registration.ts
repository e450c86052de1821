/** What `dnnc/data` exports of the data-set registry (compiler/data/registry.ts), in its Node and browser builds alike. */
export {
  registerDataset,
  unregisterDataset,
  registeredDatasets,
  type DatasetArgs,
  type DatasetDefinition,
  type DatasetFieldSpec,
  type DatasetParam,
  type DatasetSplits,
} from '../../compiler/data/registry.js';
