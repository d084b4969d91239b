"""BasicSR 1.4.2's own option keys (``basicsr/utils/options.py``, ``basicsr/train.py``, the models and datasets that
read them), each with a one-line doc: the preflight reports any other key as unknown, and the JSON Schema offers
these to editors. Their values are BasicSR's business (and the preflight's component checks)."""
TOP_LEVEL = {
    'name': 'experiment name: experiments/<name>/ (training) or results/<name>/ (testing)',
    'model_type': "registered model class, e.g. BebyGANModel, SRModel",
    'scale': 'super-resolution factor (4 for Beby-GAN)',
    'num_gpu': "number of GPUs, 'auto' for all visible ones, 0 for the CPU",
    'manual_seed': 'random seed (~ draws one)',
    'datasets': "data sets by phase: 'train', 'val' / 'val_<n>' (training), 'test_<n>' (testing)",
    'path': 'weights to load, resume state and output folders',
    'train': 'losses, optimizers, schedule and the model\'s training options',
    'val': 'validation (training) or evaluation (testing): metrics and whether to save images',
    'logger': 'log, checkpoint and TensorBoard / wandb settings',
    'dist_params': 'distributed training (--launcher pytorch / slurm)',
    'find_unused_parameters': "DistributedDataParallel's find_unused_parameters",
}
NETWORK_KEYS = {
    'network_g': 'the generator: a registered network type and its arguments',
    'network_d': 'the discriminator (GAN models): a registered network type and its arguments',
}
NETWORK_PREFIX = 'network_'
LOGGER = {
    'print_freq': 'iterations between log lines',
    'save_checkpoint_freq': 'iterations between checkpoints',
    'use_tb_logger': 'write TensorBoard logs to tb_logger/<name>',
    'wandb': 'Weights & Biases logging (needs use_tb_logger)',
}
WANDB = {'project': 'wandb project (~: off)', 'resume_id': 'wandb run id to resume'}
VAL = {
    'val_freq': 'iterations between validations',
    'save_img': 'write the output images',
    'metrics': 'metrics by name, each a registered metric function and its arguments',
    'pbar': 'show a progress bar',
    'suffix': 'suffix of the saved images (~: the experiment name)',
}
PATH = {
    'resume_state': 'training state to resume from (~: start afresh, or --auto_resume)',
    'ignore_resume_networks': 'networks not to load when resuming',
    'experiments_root': 'set by BasicSR', 'models': 'set by BasicSR', 'training_states': 'set by BasicSR',
    'log': 'set by BasicSR', 'visualization': 'set by BasicSR', 'results_root': 'set by BasicSR',
}
PATH_NETWORK_PREFIXES = {
    'pretrain_network_': 'weights to load into network_<x> (~: none)',
    'param_key_': "key of the weights in that file: 'params' or 'params_ema'",
    'strict_load_': 'require every parameter of network_<x> in that file',
}
DIST_PARAMS = {'backend': 'nccl (GPUs) or gloo (CPU); default: by device', 'port': 'rendezvous port'}
LOADER = {
    'name': 'data set name (logs, result folders)',
    'type': 'registered data set class',
    'phase': 'set by BasicSR',
    'scale': 'set by BasicSR from the top-level scale',
    'num_worker_per_gpu': 'DataLoader workers per GPU',
    'batch_size_per_gpu': 'batch size per GPU',
    'dataset_enlarge_ratio': 'repeat the data set this many times per epoch',
    'prefetch_mode': "~ (plain DataLoader), 'cpu' or 'cuda'",
    'pin_memory': 'DataLoader pin_memory',
    'persistent_workers': 'DataLoader persistent_workers',
    'num_prefetch_queue': "prefetch queue length ('cpu' prefetch)",
    'use_shuffle': 'shuffle the training set',
}
IMAGE_SET = {
    'dataroot_lq': 'folder or LMDB of the LR images',
    'meta_info_file': 'list of the images to use',
    'io_backend': "how images are read: {type: disk | lmdb | memcached}",
    'color': "'y' for the Y channel only",
    'mean': 'per-channel mean subtracted from the images',
    'std': 'per-channel std the images are divided by',
}
DATASETS = {
    'PairedImageDataset': {**LOADER, 'dataroot_gt': 'folder or LMDB of the HR (GT) images', **IMAGE_SET,
                           'filename_tmpl': "LR file name from the HR one, e.g. '{}x4'",
                           'gt_size': 'training HR crop size', 'use_hflip': 'random horizontal flips (training)',
                           'use_rot': 'random 90 degree rotations and vertical flips (training)'},
    'SingleImageDataset': {**LOADER, **IMAGE_SET},
}
IO_BACKENDS = ('disk', 'lmdb', 'memcached')
TRAIN_REQUIRED_LOADER_KEYS = ('batch_size_per_gpu', 'num_worker_per_gpu')

SR_TRAIN = {
    'total_iter': 'iterations to train',
    'warmup_iter': "BasicSR's linear warm-up iterations (-1: none)",
    'scheduler': 'learning-rate scheduler: type and arguments',
    'optim_g': 'optimizer of the generator: {type: Adam, lr: ..., betas: ...}',
    'ema_decay': 'decay of the EMA of the generator used to validate and save (0: no EMA)',
    'pixel_opt': 'pixel loss (Beby-GAN: BestBuddyLoss, Eq. 1-3)',
    'perceptual_opt': 'perceptual loss (Beby-GAN: PerceptualLoss on VGG19, Eq. 6)',
}
GAN_TRAIN = {
    **SR_TRAIN,
    'optim_d': 'optimizer of the discriminator',
    'gan_opt': 'adversarial loss',
    'ldl_opt': "LDL loss (BasicSR's ESRGAN variants)",
    'net_d_iters': 'update G every this many iterations',
    'net_d_init_iters': 'iterations that update D only, at the start',
}
TRAIN_BY_MODEL = {'SRModel': SR_TRAIN, 'SRGANModel': GAN_TRAIN, 'ESRGANModel': GAN_TRAIN}
OPTIMIZERS = ('Adam',)  # BaseModel.get_optimizer of BasicSR 1.4.2
METRIC_EXTRA = {'better': "'higher' (default) or 'lower': which values are better"}
