"""The AgileX ARX5 arm of RoboTwin's aloha-agilex, converted from robosuite-models' MJCF into URDF + SRDF.

robosuite's ARX5 has the same kinematics as AgileX's URDF (link6 agrees to 1e-7 over random joint vectors, see
``shared/reference/aloha-agilex-embodiment.md``) but no gripper joints: ``link6.STL`` holds the housing and both
fingers as one mesh. The conversion cuts the two fingers out and puts them on prismatic joints where RoboTwin has
``joint7`` / ``joint8`` (q = half the opening, fingers touching at 0), adds RoboTwin's tool centre point 0.12 m along
link6's x axis, uses convex hulls of the visual meshes for collision (robosuite's collision geoms are rough boxes) and
computes the SRDF's self-collision pairs with mplib. The visual meshes are decimated to at most ``VISUAL_FACES``
triangles each (quadric decimation; the hulls come from the full meshes, so physics is unchanged): robosuite's STLs
hold ~270k triangles per arm, and a software rasteriser spent ~290 ms on three cameras against ~80-100 ms after, for
images that differ by less than 0.1 grey level on average. It runs once at set-up (~25 s); bump
``CONVERTER_VERSION`` when the output changes, so caches built by older code are rebuilt instead of reused.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import mplib
import numpy as np
import trimesh

from envs import mjcf

CONVERTER_VERSION = 2
URDF_NAME = "arx5.urdf"
SRDF_NAME = "arx5.srdf"
ROOT_BODY = "base_link"
FLANGE = "link6"
TCP_LINK = "tcp"
TCP_OFFSET_M = 0.12  # RoboTwin's gripper_bias: TCP along the flange's x axis
# RoboTwin's finger joints in the flange frame: (name, child link, origin, opening direction).
FINGER_JOINTS = (
    ("joint7", "link7", (0.073574, 0.024629, 0.0), (0.0, 1.0, 0.0)),
    ("joint8", "link8", (0.073574, -0.024629, 0.0), (0.0, -1.0, 0.0)),
)
FINGER_TRAVEL_M = 0.04765
FINGER_MASS_KG = 0.05
SRDF_SAMPLES = 20_000
ARM_COLOR = (0.75, 0.75, 0.75, 1.0)
GRIPPER_COLOR = (0.2, 0.2, 0.22, 1.0)
VISUAL_FACES = 5000


def is_finger(piece: trimesh.Trimesh) -> bool:
    """A finger of link6.STL: a piece reaching past the housing (x > 0.14 m) off the centre line (|y| > 2 cm)."""
    (x_min, _, _), (x_max, _, _) = piece.bounds
    return x_min > 0.06 and x_max > 0.14 and np.abs(piece.vertices[:, 1]).min() > 0.02


def split_flange_mesh(mesh: trimesh.Trimesh) -> tuple[trimesh.Trimesh, dict[float, trimesh.Trimesh]]:
    """The housing and the two fingers (keyed by the side, +1 or -1 along y) of link6.STL."""
    pieces = mesh.split(only_watertight=False)
    fingers = [p for p in pieces if is_finger(p)]
    sides = sorted(np.sign(f.vertices[:, 1].mean()) for f in fingers)
    if sides != [-1.0, 1.0]:
        raise ValueError(f"link6.STL: expected one finger on each side of the gripper, found sides {sides}")
    housing = trimesh.util.concatenate([p for p in pieces if not is_finger(p)])
    return housing, {float(np.sign(f.vertices[:, 1].mean())): f for f in fingers}


def _geometry(link: ET.Element, visual: str, collision: str, color) -> None:
    element = ET.SubElement(link, "visual")
    ET.SubElement(ET.SubElement(element, "geometry"), "mesh", filename=visual)
    ET.SubElement(ET.SubElement(element, "material", name=f"{link.get('name')}_color"), "color", rgba=mjcf.xyz(color))
    element = ET.SubElement(link, "collision")
    ET.SubElement(ET.SubElement(element, "geometry"), "mesh", filename=collision)


def _write_mesh(mesh: trimesh.Trimesh, target: Path, name: str) -> tuple[str, str]:
    """Write a visual mesh (decimated to ``VISUAL_FACES`` triangles) and the convex hull of the full mesh; returns
    both paths relative to the URDF."""
    visual, hull = f"meshes/{name}.stl", f"meshes/{name}_hull.stl"
    mesh.convex_hull.export(target / hull)
    if len(mesh.faces) > VISUAL_FACES:
        mesh = mesh.simplify_quadric_decimation(face_count=VISUAL_FACES)
    mesh.export(target / visual)
    return visual, hull


def convert_arx5(source: Path, target: Path) -> None:
    """Write ``arx5.urdf``, ``arx5.srdf`` and ``meshes/`` into ``target`` from the wheel's ``arx5`` folder."""
    (target / "meshes").mkdir(parents=True, exist_ok=True)
    robot = ET.Element("robot", name="arx5")
    for body in mjcf.read_bodies(ET.parse(source / "robot.xml").getroot(), ROOT_BODY):
        link = mjcf.body_link(robot, body)
        for index, mesh_file in enumerate(body.meshes):
            mesh = trimesh.load(source / mesh_file, force="mesh")
            _geometry(link, *_write_mesh(mesh, target, f"{body.name}_{index}"), ARM_COLOR)
        if body.parent is not None:
            mjcf.body_joint(robot, body)

    housing, fingers = split_flange_mesh(trimesh.load(source / "meshes" / f"{FLANGE}.STL", force="mesh"))
    flange = robot.find(f"link[@name='{FLANGE}']")
    _geometry(flange, *_write_mesh(housing, target, f"{FLANGE}_housing"), GRIPPER_COLOR)
    for joint, child, origin, direction in FINGER_JOINTS:
        finger = fingers[float(np.sign(direction[1]))].copy()
        inner_face = np.abs(finger.vertices[:, 1]).min()
        # Into the finger joint's frame, moved so the inner faces meet at q = 0 (q = half the opening).
        finger.apply_translation(-np.asarray(origin) - np.asarray(direction) * inner_face)
        link = ET.SubElement(robot, "link", name=child)
        hull = finger.convex_hull
        inertia = hull.moment_inertia * FINGER_MASS_KG / hull.volume  # uniform density over the hull
        mjcf.add_inertial(link, FINGER_MASS_KG, hull.center_mass, (1, 0, 0, 0), np.diag(inertia))
        _geometry(link, *_write_mesh(finger, target, child), GRIPPER_COLOR)
        mjcf.add_joint(
            robot,
            joint,
            "prismatic",
            FLANGE,
            child,
            origin,
            (1, 0, 0, 0),
            axis=direction,
            limits=(0.0, FINGER_TRAVEL_M),
            effort=100.0,
            velocity=0.5,
        )
    ET.SubElement(robot, "link", name=TCP_LINK)
    # TCP z = approach (flange x), y = the fingers' closing axis: the Panda hand TCP's convention.
    mjcf.add_joint(
        robot,
        "tcp_fixed",
        "fixed",
        FLANGE,
        TCP_LINK,
        (TCP_OFFSET_M, 0, 0),
        (0.7071067811865476, 0, 0.7071067811865476, 0),
    )
    urdf_path = target / URDF_NAME
    ET.indent(robot)
    urdf_path.write_text(ET.tostring(robot, encoding="unicode", xml_declaration=True))
    (target / SRDF_NAME).write_text(self_collision_srdf(urdf_path))


def self_collision_srdf(urdf_path: Path) -> str:
    """SRDF with the link pairs that never (or always) collide, sampled with a fixed seed so builds agree. The fingers
    touch at q = 0, so the all-zeros rule disables that pair: a closed gripper is no self-collision to plan around."""
    from mplib.urdf_utils import compute_default_collisions

    mplib.set_global_seed(1)
    # The collision meshes are convex hulls already.
    model = mplib.ArticulatedModel(str(urdf_path), "", convex=False, verbose=False)
    return compute_default_collisions(model, num_samples=SRDF_SAMPLES)
