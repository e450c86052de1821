"""Runs exported PyTorch packages for test/interop/pytorch.test.ts.

argv[1] is a JSON list of jobs, each {"package", "model", "weights", "inputs",
"out", "steps"}: load the package's model class with the weights (dnnc's
format), then with steps = 0 write forward(inputs) to `out` (eval mode), or
with steps = n take n optimizer steps of the package's trainer on the inputs
(its loss, clipping, optimizer and schedule, as train.py does) and write the
loss of each step and the updated weights (dnnc names) to `out`.
One process runs every job: the packages' modules (model, layers, ...) are
dropped from sys.modules between packages.
"""
import json
import sys

import numpy as np
import torch

OWN = ["model", "layers", "ops", "optim", "checkpoint", "data", "safetensors_io", "constants", "training"]


def load_package(folder):
    for name in OWN:
        sys.modules.pop(name, None)
    sys.path.insert(0, folder)
    try:
        mods = {name: __import__(name) for name in ["model", "checkpoint", "safetensors_io", "optim"]}
        try:
            mods["training"] = __import__("training")
        except ImportError:
            pass
        return mods
    finally:
        sys.path.remove(folder)


def main():
    torch.set_num_threads(1)
    for job in json.load(open(sys.argv[1])):
        pkg = load_package(job["package"])
        cls = pkg["model"].MODELS[job["model"]]
        model = cls()
        pkg["checkpoint"].load_weights(model, job["weights"])
        tensors, _ = pkg["safetensors_io"].read(job["inputs"])
        batch = {k: torch.from_numpy(v) for k, v in tensors.items()}
        if job["steps"] == 0:
            model.eval()
            with torch.no_grad():
                result = model(*[batch[n] for n in cls.INPUTS])
            result = result if isinstance(result, dict) else {cls.OUTPUTS[0]: result}
            out = {k: v.detach().numpy().astype(np.float32 if v.dtype.is_floating_point else np.int32) for k, v in result.items()}
        else:
            training, optim = pkg["training"], pkg["optim"]
            model.train()
            opt = optim.make_optimizer(model.parameters(), training.OPTIMIZER)
            losses = []
            for step in range(1, job["steps"] + 1):
                result = model(*[batch[n] for n in cls.INPUTS])
                outputs = result if isinstance(result, dict) else {cls.OUTPUTS[0]: result}
                loss, _ = training.loss_and_metrics(outputs, batch)
                opt.zero_grad()
                loss.backward()
                if training.CLIP is not None:
                    optim.clip_gradients(list(model.parameters()), training.CLIP)
                optim.set_learning_rate(opt, optim.learning_rate(training.SCHEDULE, training.OPTIMIZER["lr"], step))
                opt.step()
                losses.append(float(loss))
            out = pkg["checkpoint"].weight_tensors(model)
            out["__losses__"] = np.array(losses, dtype=np.float32)
        pkg["safetensors_io"].write(job["out"], out)
        print("ok", job["out"], flush=True)


if __name__ == "__main__":
    main()
