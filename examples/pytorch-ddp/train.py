"""Distributed data-parallel training with PyTorch, in Modelship's run format.

Launch with torchrun (Modelship runs `train.command` from the repository root):

    torchrun --standalone --nproc_per_node=gpu examples/pytorch-ddp/train.py

Modelship sets:
  MODELSHIP_OUTPUT_DIR      where to write metrics.json, history.json and model.onnx (required)
  MODELSHIP_PARAMS          the run's parameters as JSON (train.params after overrides)
  MODELSHIP_RUN_ID          the run's id
  MODELSHIP_CHECKPOINT_DIR  where checkpoints go; the training workflow caches it, so a
                            preempted run resumes from the last complete epoch

Only rank 0 writes files. The data is a synthetic, seeded classification problem so the example
runs anywhere; replace `make_dataset` with your own loading code.
"""

import json
import math
import os
import re
import signal
import tempfile

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

FEATURES = 8
CLASSES = 3
CHECKPOINT_RE = re.compile(r"^epoch-(\d{5})\.pt$")
KEEP_CHECKPOINTS = 2


def make_dataset(seed: int, rows: int = 6000):
    """Three Gaussian blobs in 8 dimensions; 20% of the rows validate."""
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(CLASSES, FEATURES, generator=g) * 2.0
    labels = torch.randint(0, CLASSES, (rows,), generator=g)
    x = centers[labels] + torch.randn(rows, FEATURES, generator=g) * 1.5
    cut = int(rows * 0.8)
    return TensorDataset(x[:cut], labels[:cut]), TensorDataset(x[cut:], labels[cut:])


class Classifier(nn.Module):
    def __init__(self, layers):
        super().__init__()
        blocks = []
        width = FEATURES
        for layer in layers:
            blocks += [nn.Linear(width, int(layer.get("units", 64))), nn.ReLU()]
            if float(layer.get("dropout", 0)) > 0:
                blocks.append(nn.Dropout(float(layer["dropout"])))
            width = int(layer.get("units", 64))
        blocks.append(nn.Linear(width, CLASSES))
        self.net = nn.Sequential(*blocks)

    def forward(self, x):
        return self.net(x)


class WithSoftmax(nn.Module):
    """What is exported: probabilities, as Modelship's classification models output."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return torch.softmax(self.model(x), dim=1)


def latest_checkpoint(directory):
    if not directory or not os.path.isdir(directory):
        return None
    found = sorted(name for name in os.listdir(directory) if CHECKPOINT_RE.match(name))
    return os.path.join(directory, found[-1]) if found else None


def save_checkpoint(directory, state, epoch):
    """Writes atomically (temporary file, then rename) and keeps the newest few."""
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    os.close(fd)
    torch.save(state, tmp)
    os.replace(tmp, os.path.join(directory, f"epoch-{epoch:05d}.pt"))
    old = sorted(name for name in os.listdir(directory) if CHECKPOINT_RE.match(name))[:-KEEP_CHECKPOINTS]
    for name in old:
        os.remove(os.path.join(directory, name))


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)


def export_onnx(model, path):
    model = WithSoftmax(model).cpu().eval()
    example = torch.zeros(1, FEATURES)
    kwargs = dict(
        input_names=["input"],
        output_names=["probabilities"],
        dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}},
        opset_version=17,
    )
    try:
        # The TorchScript exporter needs no extra package (the dynamo one needs onnxscript).
        torch.onnx.export(model, (example,), path, dynamo=False, **kwargs)
    except TypeError:  # torch < 2.5 has no `dynamo` argument
        torch.onnx.export(model, (example,), path, **kwargs)


def evaluate(model, loader, device):
    """Loss and accuracy summed over every rank's share of the validation rows."""
    model.eval()
    totals = torch.zeros(3, device=device)  # loss sum, correct, count
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            totals[0] += nn.functional.cross_entropy(logits, y, reduction="sum")
            totals[1] += (logits.argmax(dim=1) == y).sum()
            totals[2] += y.numel()
    dist.all_reduce(totals)
    return (totals[0] / totals[2]).item(), (totals[1] / totals[2]).item()


def main():
    out_dir = os.environ.get("MODELSHIP_OUTPUT_DIR")
    if not out_dir:
        raise SystemExit("MODELSHIP_OUTPUT_DIR is not set: run me through `modelship train`")
    params = json.loads(os.environ.get("MODELSHIP_PARAMS") or "{}")
    epochs = int(params.get("epochs", 10))
    batch_size = int(params.get("batchSize", 256))
    learning_rate = float(params.get("learningRate", 0.001))
    seed = int(params.get("seed", 42))
    layers = params.get("layers") or [{"units": 64}, {"units": 64}]
    checkpoint_dir = os.environ.get("MODELSHIP_CHECKPOINT_DIR") or os.path.join(".modelship", "checkpoints")

    use_cuda = torch.cuda.is_available()
    dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    rank = dist.get_rank()
    world = dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(seed)

    stop = {"requested": False}

    def on_sigterm(_signum, _frame):
        # A preempted runner sends SIGTERM: finish this epoch, checkpoint, and stop.
        stop["requested"] = True

    signal.signal(signal.SIGTERM, on_sigterm)

    train_set, valid_set = make_dataset(seed)
    train_sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=seed)
    valid_sampler = DistributedSampler(valid_set, num_replicas=world, rank=rank, shuffle=False)
    train_loader = DataLoader(train_set, batch_size=batch_size, sampler=train_sampler)
    valid_loader = DataLoader(valid_set, batch_size=batch_size, sampler=valid_sampler)

    model = Classifier(layers).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    start_epoch = 1
    history = []
    resume = latest_checkpoint(checkpoint_dir)
    if resume:
        state = torch.load(resume, map_location=device)
        if state.get("params") == params:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            start_epoch = state["epoch"] + 1
            history = state["history"]
            if rank == 0:
                print(f"resuming from {resume} (epoch {state['epoch']})", flush=True)
        elif rank == 0:
            print(f"ignoring {resume}: it was trained with other params", flush=True)
    ddp = DistributedDataParallel(model, device_ids=[local_rank] if use_cuda else None)

    for epoch in range(start_epoch, epochs + 1):
        ddp.train()
        train_sampler.set_epoch(epoch)
        sums = torch.zeros(2, device=device)  # loss sum, count
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(ddp(x), y)
            loss.backward()
            optimizer.step()
            sums[0] += loss.detach() * y.numel()
            sums[1] += y.numel()
        dist.all_reduce(sums)
        val_loss, val_accuracy = evaluate(ddp, valid_loader, device)
        history.append(
            {"epoch": epoch, "loss": (sums[0] / sums[1]).item(), "val_loss": val_loss, "val_accuracy": val_accuracy}
        )
        if rank == 0:
            print(f"epoch {epoch}/{epochs} loss {history[-1]['loss']:.4f} val_loss {val_loss:.4f} val_accuracy {val_accuracy:.4f}", flush=True)
            state = {
                "epoch": epoch,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "history": history,
                "params": params,
            }
            save_checkpoint(checkpoint_dir, state, epoch)
        dist.barrier()
        # Every rank must agree to stop, or the others would wait forever in the next all_reduce.
        flag = torch.tensor([1.0 if stop["requested"] else 0.0], device=device)
        dist.all_reduce(flag)
        if flag.item() > 0:
            if rank == 0:
                print(f"stopping after epoch {epoch} (SIGTERM); the next run resumes here", flush=True)
            dist.destroy_process_group()
            raise SystemExit(143)

    if rank == 0:
        last = history[-1] if history else {"loss": math.nan, "val_loss": math.nan, "val_accuracy": math.nan}
        write_json(
            os.path.join(out_dir, "metrics.json"),
            {
                "validation": {"accuracy": last["val_accuracy"], "loss": last["val_loss"]},
                "train": {"loss": last["loss"]},
                "world_size": world,
            },
        )
        write_json(os.path.join(out_dir, "history.json"), {"epochs": history})
        export_onnx(model, os.path.join(out_dir, "model.onnx"))
        print(f"wrote metrics, history and model.onnx to {out_dir}", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
