"""BasicSR 1.4.2's own option keys (``basicsr/utils/options.py``, ``train.py``, ``test.py``, the models and data sets
that read them), each with its rule, default and one-line doc: any other key is unknown, and a value BasicSR would
choke on (``lr: 2e-4``, a string to YAML; ``use_hflip: 'no'``, true to Python) is named with the fix.
``model_type``, ``datasets`` phases, ``train.optim_*`` and ``train.scheduler`` depend on the model: :mod:`.checks`."""
from ..compat.distributed_on_cpu import DIST_BACKENDS
from .components import Component
from .rules import AnyOf, Boolean, Each, Integer, Number, Numbers, OneOf, Option, Rule, Section, Text

BY_BASICSR = 'set by BasicSR'


def unchecked(docs: dict) -> tuple:
    """Options whose value this declaration leaves alone (set by BasicSR, or checked by :mod:`.checks`)."""
    return tuple(Option(key, Rule(), None, doc) for key, doc in docs.items())


IO_BACKENDS = ('disk', 'lmdb', 'memcached')
OPTIMIZERS = ('Adam',)  # BaseModel.get_optimizer of BasicSR 1.4.2
ITERATIONS = Number(positive=True, meaning=' of iterations')
PATH_TEXT = Text('a path (text)')
LOSS = Component('loss')

IO_BACKEND = Section(
    "how images are read: {type: disk | lmdb | memcached} and that backend's arguments",
    (Option('type', OneOf(IO_BACKENDS), None, 'the backend'),
     Option('readonly', Boolean(), True, 'lmdb: open read-only'), Option('lock', Boolean(), False, 'lmdb: lock'),
     Option('readahead', Boolean(), False, 'lmdb: read ahead'),
     Option('server_list_cfg', PATH_TEXT, None, 'memcached: server list file'),
     Option('client_cfg', PATH_TEXT, None, 'memcached: client config file'),
     Option('sys_path', PATH_TEXT, None, 'memcached: folder of its Python module'),
     *unchecked({'db_paths': 'set by the data set', 'client_keys': 'set by the data set'})),
)
LOADER = unchecked({'type': 'registered data set class', 'phase': BY_BASICSR,
                    'scale': 'set by BasicSR from the top-level scale'}) + (
    Option('name', Text('a name (text)'), None, 'data set name (logs, result folders)', required='required: a '
           'name for logs and result folders, e.g. name: Set5'),
    Option('num_worker_per_gpu', Integer(0), None, 'DataLoader workers per GPU'),
    Option('batch_size_per_gpu', Integer(1), None, 'batch size per GPU'),
    Option('dataset_enlarge_ratio', Number(positive=True), 1, 'repeat the data set this many times per epoch'),
    Option('prefetch_mode', OneOf(('cpu', 'cuda')), None, "~ (plain DataLoader), 'cpu' or 'cuda'"),
    Option('pin_memory', Boolean(), False, 'DataLoader pin_memory'),
    Option('persistent_workers', Boolean(), False, 'DataLoader persistent_workers'),
    Option('num_prefetch_queue', Integer(1), 1, "prefetch queue length ('cpu' prefetch)"),
    Option('use_shuffle', Boolean(), True, 'shuffle the training set'),
    Option('dataroot_lq', PATH_TEXT, None, 'folder or LMDB of the LR images'),
    Option('meta_info_file', PATH_TEXT, None, 'list of the images to use'),
    Option('io_backend', IO_BACKEND, None, IO_BACKEND.doc),
    Option('color', OneOf(('y',)), None, "'y' for the Y channel only"),
    Option('mean', Numbers(3), None, 'per-channel mean subtracted from the images'),
    Option('std', Numbers(3), None, 'per-channel std the images are divided by'),
)
DATASETS = {
    'PairedImageDataset': Section('a paired data set', LOADER + (
        Option('dataroot_gt', PATH_TEXT, None, 'folder or LMDB of the HR (GT) images'),
        Option('filename_tmpl', Text('a template such as {}x4'), '{}', "LR file name from the HR one, e.g. '{}x4'"),
        Option('gt_size', Integer(1), None, 'training HR crop size'),
        Option('use_hflip', Boolean(), None, 'random horizontal flips (training)'),
        Option('use_rot', Boolean(), None, 'random 90 degree rotations and vertical flips (training)'))),
    'SingleImageDataset': Section('LR images only', LOADER),
    'RealESRGANDataset': Section('GT images only; draws the blur kernels of the real-world degradation', LOADER + (
        Option('dataroot_gt', PATH_TEXT, None, 'folder or LMDB of the GT images'),
        Option('meta_info', PATH_TEXT, None, 'disk: the file listing the GT images (relative to dataroot_gt)'),
        Option('gt_size', Integer(1), None, 'unused (the GT is cropped or padded to 400x400; see top-level gt_size)'),
        Option('use_hflip', Boolean(), None, 'random horizontal flips'),
        Option('use_rot', Boolean(), None, 'random 90 degree rotations and vertical flips'),
        *(o for n in ('', '2') for o in (
            Option(f'blur_kernel_size{n}', Integer(1), None, f'blur kernel {n or 1}: largest size (21)'),
            Option(f'kernel_list{n}', Rule(), None, f'blur kernel {n or 1}: kernel kinds (iso, aniso, ...)'),
            Option(f'kernel_prob{n}', Numbers(), None, f'blur kernel {n or 1}: probability of each kind'),
            Option(f'blur_sigma{n}', Numbers(2), None, f'blur kernel {n or 1}: sigma range'),
            Option(f'betag_range{n}', Numbers(2), None, f'blur kernel {n or 1}: generalized Gaussian beta range'),
            Option(f'betap_range{n}', Numbers(2), None, f'blur kernel {n or 1}: plateau beta range'),
            Option(f'sinc_prob{n}', Number(fraction=True), None, f'blur kernel {n or 1}: probability of a sinc'))),
        Option('final_sinc_prob', Number(fraction=True), None, 'probability of the final sinc filter'))),
}
TRAIN_REQUIRED_LOADER_KEYS = ('batch_size_per_gpu', 'num_worker_per_gpu')

SR_TRAIN = (
    Option('total_iter', ITERATIONS, None, 'iterations to train'),
    Option('warmup_iter', Integer(-1), -1, "BasicSR's linear warm-up iterations (-1: none)"),
    Option('scheduler', Rule(), None, 'learning-rate scheduler: type and arguments'),
    Option('optim_g', Rule(), None, 'optimizer of the generator: {type: Adam, lr: ..., betas: ...}'),
    Option('ema_decay', Number(fraction=True), 0, 'decay of the EMA of the generator used to validate and save '
                                                  '(0: no EMA)'),
    Option('pixel_opt', LOSS, None, 'pixel loss (Beby-GAN: BestBuddyLoss, Eq. 1-3)'),
    Option('perceptual_opt', LOSS, None, 'perceptual loss (Beby-GAN: PerceptualLoss on VGG19, Eq. 6)'),
)
GAN_TRAIN = SR_TRAIN + (
    Option('optim_d', Rule(), None, 'optimizer of the discriminator'),
    Option('gan_opt', LOSS, None, 'adversarial loss'),
    Option('ldl_opt', LOSS, None, "LDL loss (BasicSR's ESRGAN variants)"),
    Option('net_d_iters', Integer(1), 1, 'update G every this many iterations'),
    Option('net_d_init_iters', Integer(0), 0, 'iterations that update D only, at the start'),
)


def needs_a_generator_loss(train: dict) -> list:
    """SRModel's rule (a ``train`` without a discriminator): a pixel or a perceptual loss."""
    return [] if train['pixel_opt'] or train['perceptual_opt'] else [('pixel_opt', 'required, or perceptual_opt')]


TRAIN_BY_MODEL = {'SRModel': Section('train section of SRModel', SR_TRAIN, checks=(needs_a_generator_loss,)),
                  'SRGANModel': Section('train section of SRGANModel', GAN_TRAIN),
                  'ESRGANModel': Section('train section of ESRGANModel', GAN_TRAIN)}

VAL = (
    Option('val_freq', ITERATIONS, None, 'iterations between validations'),
    Option('save_img', Boolean(), None, 'write the output images'),
    Option('metrics', Each(Component('metric')), None, 'metrics by name, each a registered metric function and '
                                                        "its arguments, and better: 'higher' (default) or 'lower'"),
    Option('pbar', Boolean(), False, 'show a progress bar'),
    Option('suffix', Text('text', non_empty=False), None, 'suffix of the saved images of a test run (~: the '
                                                          'experiment name); required by BasicSR with save_img'),
)
LOGGER = Section('log, checkpoint and TensorBoard / wandb settings', (
    Option('print_freq', ITERATIONS, None, 'iterations between log lines'),
    Option('save_checkpoint_freq', ITERATIONS, None, 'iterations between checkpoints'),
    Option('use_tb_logger', Boolean(), False, 'write TensorBoard logs to tb_logger/<name>'),
    Option('wandb', Section('Weights & Biases logging (needs use_tb_logger)', (
        Option('project', Text('a project name'), None, 'wandb project (~: off)'),
        Option('resume_id', Text('a run id'), None, 'wandb run id to resume'))), None,
        'Weights & Biases logging (needs use_tb_logger)'),
))
PATH = Section('weights to load, resume state and output folders', (
    Option('resume_state', PATH_TEXT, None, 'training state to resume from (~: start afresh, or --auto_resume)'),
    Option('ignore_resume_networks', Rule(), None, 'networks not to load when resuming'),
    *unchecked(dict.fromkeys(('experiments_root', 'models', 'training_states', 'log', 'visualization',
                              'results_root'), BY_BASICSR))),
    prefixed=(Option('pretrain_network_', PATH_TEXT, None, 'weights to load into network_<x> (~: none)'),
              Option('param_key_', Text('a key such as params'), 'params',
                     "key of the weights in that file: 'params' or 'params_ema'"),
              Option('strict_load_', Boolean(), True, 'require every parameter of network_<x> in that file')),
)
DIST_PARAMS = Section('distributed training (--launcher pytorch / slurm)', (
    Option('backend', OneOf(DIST_BACKENDS), None, 'nccl (GPUs) or gloo (CPU); default: by device'),
    Option('port', Integer(1), None, 'rendezvous port')))
NETWORK = Component('arch')


def top_level(val: Section) -> Section:
    """The top level of an option file, with ``val`` (BasicSR's keys and the plugin's)."""
    return Section('a BasicSR option file', unchecked({
        'model_type': 'registered model class, e.g. BebyGANModel, SRModel',
        'datasets': "data sets by phase: 'train', 'val' / 'val_<n>' (training), 'test_<n>' (testing)",
        'train': "losses, optimizers, schedule and the model's training options"}) + (
        Option('name', Text('a non-empty experiment name'), None,
               'experiment name: experiments/<name>/ (training) or results/<name>/ (testing)'),
        Option('scale', Integer(1, label='a positive integer', meaning=' (4 for Beby-GAN)'), None,
               'super-resolution factor (4 for Beby-GAN)'),
        Option('num_gpu', AnyOf((OneOf(('auto',)), Integer(0)), "'auto' or an integer >= 0 (0 = CPU)", 'integer'),
               'auto', "number of GPUs, 'auto' for all visible ones, 0 for the CPU"),
        Option('manual_seed', Integer(None, label='an integer (or ~ for a random seed)'), None,
               'random seed (~ draws one)'),
        Option('network_g', NETWORK, None, 'the generator: a registered network type and its arguments'),
        Option('network_d', NETWORK, None, 'the discriminator (GAN models): a registered network type and its '
                                           'arguments'),
        Option('path', PATH, None, PATH.doc),
        Option('val', val, None, 'validation (training) or evaluation (testing): metrics and whether to save images'),
        Option('logger', LOGGER, None, LOGGER.doc),
        Option('dist_params', DIST_PARAMS, None, DIST_PARAMS.doc),
        Option('find_unused_parameters', Boolean(), False, "DistributedDataParallel's find_unused_parameters"),
        *unchecked(dict.fromkeys(('is_train', 'dist', 'rank', 'world_size', 'auto_resume', 'root_path'),
                                 BY_BASICSR))),
        prefixed=(Option('network_', NETWORK, None, 'another network of the model'),))
