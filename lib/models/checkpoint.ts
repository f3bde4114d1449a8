/**
 * A language model as checkpoint contents: named tensors plus string metadata, the pieces a
 * safetensors file holds. Pure (no I/O); `lib/io/checkpoint.ts` reads and writes files.
 *
 * Tensor names: the model's parameters under their reference names (`embed_W`, `lstm_Wx`, …,
 * a tied matrix stored once), so PyTorch and NumPy users find them as they are named in the
 * book; everything else a trainer adds (optimizer slots, recurrent state) under a prefix.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import type { Rng } from "../random.ts";
import { IntTensor, type Tensor } from "../tensor.ts";
import { checkConfig, LanguageModel, type LanguageModelConfig, paramSpecs } from "./rnnlm.ts";

/**
 * The `format` metadata value of a saiki language-model checkpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CHECKPOINT_FORMAT, checkpointConfig, modelCheckpoint } from "./checkpoint.ts";
 * import { SimpleRnnlm } from "./rnnlm.ts";
 * const data = modelCheckpoint(new SimpleRnnlm(10, 3, 3));
 * assert.equal(data.metadata.format, CHECKPOINT_FORMAT); // written on save…
 * data.metadata.format = "saiki-lm/0";
 * assert.throws(() => checkpointConfig(data), /"format" is "saiki-lm\/0", expected "saiki-lm\/1"/);
 * ```
 */
export const CHECKPOINT_FORMAT = "saiki-lm/1";

/** Checkpoint contents: tensors by name and a string→string metadata map. */
export interface CheckpointData {
  /** Named tensors. */
  tensors: Record<string, Tensor | IntTensor>;
  /** Metadata; every value is a string (safetensors' rule). */
  metadata: Record<string, string>;
}

/**
 * The model's parameters and its configuration (`format`, `config`), plus `extra` entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelCheckpoint, modelFromCheckpoint } from "./checkpoint.ts";
 * import { Rnnlm } from "./rnnlm.ts";
 * const model = new Rnnlm(12, 4, 5);
 * const data = modelCheckpoint(model, { metadata: { vocab: JSON.stringify([]) } });
 * const copy = modelFromCheckpoint(data);
 * assert(copy.params[1].data[0] === model.params[1].data[0]);
 * ```
 */
export function modelCheckpoint(
  model: LanguageModel,
  extra: Partial<CheckpointData> = {},
): CheckpointData {
  const tensors: Record<string, Tensor | IntTensor> = { ...model.namedParams() };
  for (const [name, t] of Object.entries(extra.tensors ?? {})) {
    if (name in tensors) throw new SaikiError(`modelCheckpoint: tensor name "${name}" is taken`);
    tensors[name] = t;
  }
  return {
    tensors,
    metadata: {
      ...extra.metadata,
      format: CHECKPOINT_FORMAT,
      config: JSON.stringify(model.config),
    },
  };
}

/**
 * Reads and checks the `config` metadata of a checkpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkpointConfig, modelCheckpoint } from "./checkpoint.ts";
 * import { Rnnlm } from "./rnnlm.ts";
 * const data = modelCheckpoint(new Rnnlm(12, 4, 5));
 * // the model's shape, without building the model
 * const config = checkpointConfig(data);
 * assert(config.cell === "lstm" && config.vocabSize === 12 && config.hiddenSize === 5);
 * data.metadata.config = JSON.stringify({ ...config, layers: 0 });
 * assert.throws(() => checkpointConfig(data, "lm.safetensors"),
 *   /lm.safetensors: metadata "config" is invalid: LanguageModel: layers is 0/);
 * ```
 */
export function checkpointConfig(data: CheckpointData, where = "checkpoint"): LanguageModelConfig {
  if (data.metadata.format !== CHECKPOINT_FORMAT) {
    throw new SaikiError(
      `${where}: metadata "format" is ${
        JSON.stringify(data.metadata.format)
      }, expected "${CHECKPOINT_FORMAT}"`,
    );
  }
  let config: LanguageModelConfig;
  try {
    config = JSON.parse(data.metadata.config ?? "");
  } catch {
    throw new SaikiError(`${where}: metadata "config" is not valid JSON`);
  }
  try {
    return checkConfig(config);
  } catch (e) {
    throw new SaikiError(`${where}: metadata "config" is invalid: ${(e as Error).message}`);
  }
}

/**
 * Rebuilds the model a checkpoint holds, checking every parameter's presence, dtype and
 * shape first (errors name the tensor).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelCheckpoint, modelFromCheckpoint } from "./checkpoint.ts";
 * import { SimpleRnnlm } from "./rnnlm.ts";
 * const data = modelCheckpoint(new SimpleRnnlm(10, 3, 3));
 * delete data.tensors.rnn_Wh;
 * let message = "";
 * try { modelFromCheckpoint(data); } catch (e) { message = (e as Error).message; }
 * assert(message.includes("rnn_Wh"));
 * ```
 */
export function modelFromCheckpoint(
  data: CheckpointData,
  options: { rng?: Rng; maskSeed?: number; where?: string } = {},
): LanguageModel {
  const where = options.where ?? "checkpoint";
  const config = checkpointConfig(data, where);
  const params = paramSpecs(config).map(({ name, shape }) => {
    const t = data.tensors[name];
    if (t === undefined) throw new SaikiError(`${where}: tensor "${name}" is missing`);
    if (t instanceof IntTensor) {
      throw new SaikiError(`${where}: tensor "${name}" has dtype I32, expected F32`);
    }
    if (t.shape.join() !== shape.join()) {
      throw new SaikiError(
        `${where}: tensor "${name}" has shape [${t.shape}], expected [${shape}] for this model`,
      );
    }
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new SaikiError(
        `${where}: tensor "${name}" holds ${t.data[bad]} at index ${bad}: a model with ` +
          `non-finite parameters cannot be used`,
      );
    }
    return t;
  });
  return new LanguageModel(config, { params, rng: options.rng, maskSeed: options.maskSeed });
}
