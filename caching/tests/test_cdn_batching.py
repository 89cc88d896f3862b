"""What one CDN invalidation request holds: deduplicated, folded, within the CDN's limits."""
from caching.cdn.batching import parent, plan_batch


def plan(paths, *, max_paths=3000, max_wildcards=15, fold_threshold=20):
    return plan_batch(paths, max_paths=max_paths, max_wildcards=max_wildcards, fold_threshold=fold_threshold)


def test_duplicates_are_sent_once():
    assert plan(["/a/1/", "/a/1/", "/a/2/"]).items == ["/a/1/", "/a/2/"]


def test_paths_under_a_pending_wildcard_go_with_it():
    batch = plan(["/api/v1/categories/tea/products/*", "/api/v1/categories/tea/products/", "/p/1/"])
    assert batch.items == ["/api/v1/categories/tea/products/*", "/p/1/"]
    assert batch.covered("/api/v1/categories/tea/products/")


def test_many_paths_in_one_folder_fold_into_its_wildcard():
    products = [f"/api/v1/products/{i}/" for i in range(25)]
    batch = plan([*products, "/api/v1/search/*"], fold_threshold=20)
    assert batch.items == ["/api/v1/products/*", "/api/v1/search/*"]
    assert all(batch.covered(path) for path in products)


def test_fewer_than_the_threshold_stay_single_paths():
    products = [f"/api/v1/products/{i}/" for i in range(5)]
    assert sorted(plan(products, fold_threshold=20).items) == sorted(products)


def test_wildcards_beyond_the_limit_merge_by_longest_shared_prefix():
    wildcards = [f"/api/v1/categories/c{i}/products/*" for i in range(6)] + ["/api/v1/search/*"]
    batch = plan(wildcards, max_wildcards=2)
    assert batch.items == ["/api/v1/categories/c*", "/api/v1/search/*"]
    assert all(batch.covered(path) for path in wildcards)


def test_nothing_is_sent_beyond_what_the_cdn_can_still_take():
    assert plan(["/a/*", "/b/1/"], max_wildcards=0).items == ["/b/1/"]
    batch = plan([f"/x{i}/" for i in range(10)], max_paths=4)
    assert len(batch.items) == 4
    assert sum(batch.covered(f"/x{i}/") for i in range(10)) == 4  # the rest waits


def test_parent_is_the_folder_of_a_path():
    assert parent("/api/v1/products/12/") == "/api/v1/products/"
    assert parent("/api/v1/categories/tea/products/*") == "/api/v1/categories/tea/"
    assert parent("/x") == "/"
