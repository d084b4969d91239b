"""Our RRDB checkpoints in spandrel (the model loader of chaiNNer and other apps).

Stock spandrel recognises the BasicSR, Simple-SR and original ESRGAN key layouts but builds every ESRGAN-family
model with 32 growth channels, so an RRDB with other growth channels (the demo's 16) fails to load there.
:func:`register` adds an architecture to spandrel's registry, tried before its ESRGAN, that takes these checkpoints
when their growth channels are not 32, reads every shape from the tensors (:mod:`.layouts`) and builds BasicSR's
``RRDBNet``; checkpoints with 32 growth channels keep loading through spandrel's own ESRGAN.
"""
from .layouts import LayoutError, StateDict, build_rrdbnet, rrdb_config, to_basicsr

ARCH_ID = 'BasicSR-RRDBNet-any-growth'


def _basicsr_state(state: StateDict):
    try:
        return to_basicsr(state)[0]
    except LayoutError:
        return None


def detects(state: StateDict) -> bool:
    """An RRDB in a known layout whose growth channels spandrel's ESRGAN cannot build."""
    converted = _basicsr_state(state)
    return converted is not None and 'conv_last.weight' in converted and rrdb_config(converted)['num_grow_ch'] != 32


def register(registry=None) -> bool:
    """Add the architecture to ``registry`` (spandrel's ``MAIN_REGISTRY`` by default); False if already there."""
    import spandrel

    class AnyGrowthRRDB(spandrel.Architecture):
        def __init__(self) -> None:
            super().__init__(id=ARCH_ID, name='RRDBNet (BasicSR, any growth channels)', detect=detects)

        def load(self, state_dict: StateDict) -> spandrel.ImageModelDescriptor:
            net, config = build_rrdbnet(to_basicsr(state_dict)[0])
            return spandrel.ImageModelDescriptor(
                net, state_dict, architecture=self, purpose='SR' if config['scale'] > 1 else 'Restoration',
                tags=[f"{config['num_feat']}nf", f"{config['num_block']}nb", f"{config['num_grow_ch']}gc"],
                supports_half=True, supports_bfloat16=True, scale=config['scale'],
                input_channels=config['num_in_ch'], output_channels=config['num_out_ch'],
                size_requirements=spandrel.SizeRequirements(multiple_of={1: 4, 2: 2}.get(config['scale'], 1)))

    registry = registry if registry is not None else spandrel.MAIN_REGISTRY
    support = spandrel.ArchSupport.from_architecture(AnyGrowthRRDB(), before=('ESRGAN',))
    return bool(registry.add(support, ignore_duplicates=True))
