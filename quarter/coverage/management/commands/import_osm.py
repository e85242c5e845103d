"""`quarter import-osm FILE`: import a walking network (and shops) from OSM."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from quarter.core.actors import SYSTEM
from quarter.core.errors import DomainError
from quarter.coverage import services
from quarter.coverage.osm import parse_bbox
from quarter.places.models import Community


class Command(BaseCommand):
    help = (
        "导入OpenStreetMap步行路网(.osm.pbf 或 .osm),可同时把商店导入为待审核商户。"
        " Import the walking network of an OSM extract; optionally its shops."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help=".osm.pbf or .osm file")
        parser.add_argument(
            "--bbox",
            help="min_lng,min_lat,max_lng,max_lat (WGS-84): keep only this part",
        )
        parser.add_argument("--name", default="", help="name of the network")
        parser.add_argument(
            "--shops",
            action="store_true",
            help="also import shop=*/amenity=* as candidates (needs --community)",
        )
        parser.add_argument(
            "--compounds",
            action="store_true",
            help="also import named landuse=residential areas as compounds, "
            "households estimated from buildings (needs --community)",
        )
        parser.add_argument(
            "--community", help="slug of the community for --shops/--compounds"
        )
        parser.add_argument(
            "--allow-smaller",
            action="store_true",
            help="replace a network in use even where the new one covers less",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar"
        )

    def handle(self, *args, **options):
        bbox = None
        if options["bbox"]:
            try:
                bbox = parse_bbox(options["bbox"])
            except ValueError as exc:
                raise CommandError(f"--bbox: {exc}") from None
        community = None
        if options["community"]:
            community = Community.objects.filter(slug=options["community"]).first()
            if community is None:
                raise CommandError(f"没有这个社区:{options['community']}")
        progress_bar = None
        if not options["no_progress"]:
            from tqdm import tqdm

            progress_bar = tqdm(
                desc="读取OSM", unit=" 对象", unit_scale=True, file=self.stderr._out
            )
        try:
            result = services.import_network(
                actor=SYSTEM,
                path=options["path"],
                name=options["name"],
                bbox=bbox,
                community=community,
                import_shops=options["shops"],
                import_compounds=options["compounds"],
                allow_smaller=options["allow_smaller"],
                progress=progress_bar.update if progress_bar is not None else None,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        finally:
            if progress_bar is not None:
                progress_bar.close()
        network = result.network
        if result.already_imported and not (options["shops"] or options["compounds"]):
            self.stdout.write(
                f"路网“{network.name}”已于 {network.imported_at:%Y-%m-%d %H:%M} "
                "从同一文件导入,未做改动。"
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入路网“{network.name}”:{network.node_count} 个节点,"
                f"{network.edge_count} 条路段,共 {network.length_km:.1f} 公里"
            )
        )
        if options["shops"]:
            self.stdout.write(
                f"商店:读取 {result.pois_seen} 个,新增待审核商户 "
                f"{result.candidates_created} 个,"
                f"已存在跳过 {result.candidates_skipped} 个"
            )
        if options["compounds"]:
            self.stdout.write(
                f"小区:新增 {result.compounds_created} 个(户数按楼栋面积估算),"
                f"同名已存在跳过 {result.compounds_skipped} 个"
            )
        if result.skipped.describe():
            self.stdout.write(self.style.WARNING(result.skipped.describe()))
        for move in result.replaces:
            self.stdout.write(f"改用新路网:{move.describe()}")
        if not result.replaces and not result.already_imported:
            self.stdout.write(
                "没有社区改用这个路网(现有路网覆盖的小区和商户不少于它)。"
            )
        refreshed = services.refresh_communities_on(actor=SYSTEM, network=network)
        for name in refreshed:
            self.stdout.write(f"已按新路网重新计算:{name}")
