//! Tour edits as catalogue operations: one method per change a curator makes, each written as one revision
//! of the tour ([`Catalog::update_tour`]), each failing with [`CatalogError::NotInTour`] when the scene or
//! hotspot it names is not in the tour. The CLI and the viewer's curator mode call these and hold no edit
//! logic of their own.

use std::collections::BTreeMap;

use disan_core::LangText;

use crate::tours::{InfoHotspot, LinkHotspot, Tour, TourScene, TourView};
use crate::{Catalog, CatalogError, Result};

/// A new information point.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InfoPoint {
    pub yaw: f64,
    pub pitch: f64,
    pub title: LangText,
    pub text: LangText,
    /// A photo or model asset the point opens.
    pub asset: Option<String>,
}

/// Where a new link arrives: the target's start view, with any of its angles replaced.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Arrival {
    pub yaw: Option<f64>,
    pub pitch: Option<f64>,
}

fn not_in(tour: &Tour, what: impl Into<String>) -> CatalogError {
    CatalogError::NotInTour {
        tour: tour.id.clone(),
        what: what.into(),
    }
}

/// What `find` finds in the tour, or [`CatalogError::NotInTour`] naming `what`.
fn found<'t, T>(
    t: &'t mut Tour,
    what: String,
    find: impl FnOnce(&'t mut Tour) -> Option<&'t mut T>,
) -> Result<&'t mut T> {
    let tour = t.id.clone();
    find(t).ok_or(CatalogError::NotInTour { tour, what })
}

fn scene_mut<'t>(t: &'t mut Tour, asset: &str) -> Result<&'t mut TourScene> {
    found(t, format!("scene {asset}"), |t| t.scene_mut(asset))
}

fn link_mut<'t>(t: &'t mut Tour, id: &str) -> Result<&'t mut LinkHotspot> {
    found(t, format!("link {id}"), |t| {
        t.scenes.iter_mut().flat_map(|s| &mut s.links).find(|l| l.id == id)
    })
}

fn info_mut<'t>(t: &'t mut Tour, id: &str) -> Result<&'t mut InfoHotspot> {
    found(t, format!("information point {id}"), |t| {
        t.scenes.iter_mut().flat_map(|s| &mut s.infos).find(|i| i.id == id)
    })
}

impl Catalog {
    /// Adds a panorama as the tour's last scene (the first scene is where the tour starts). `title` overrides
    /// the panorama's own title in this tour.
    pub fn add_scene(
        &mut self,
        tour: &str,
        asset: &str,
        title: LangText,
        view: TourView,
        author: &str,
    ) -> Result<Tour> {
        self.update_tour(tour, author, |_, t| {
            if t.scene(asset).is_some() {
                return Err(CatalogError::Invalid(format!("{asset} is in tour {} already", t.id)));
            }
            t.scenes.push(TourScene {
                asset: asset.to_owned(),
                title,
                view,
                links: vec![],
                infos: vec![],
            });
            Ok(())
        })
    }

    /// Moves a scene to position `to` (0 is the first scene; past the end means last).
    pub fn move_scene(&mut self, tour: &str, asset: &str, to: usize, author: &str) -> Result<Tour> {
        self.update_tour(tour, author, |_, t| {
            let from = t
                .scenes
                .iter()
                .position(|s| s.asset == asset)
                .ok_or_else(|| not_in(t, format!("scene {asset}")))?;
            let s = t.scenes.remove(from);
            t.scenes.insert(to.min(t.scenes.len()), s);
            Ok(())
        })
    }

    /// Removes a scene and every link that leads to it.
    pub fn remove_scene(&mut self, tour: &str, asset: &str, author: &str) -> Result<Tour> {
        self.update_tour(tour, author, |_, t| {
            scene_mut(t, asset)?;
            t.scenes.retain(|s| s.asset != asset);
            for s in &mut t.scenes {
                s.links.retain(|l| l.target != asset);
            }
            Ok(())
        })
    }

    /// Sets the view a scene opens at.
    pub fn set_start_view(&mut self, tour: &str, asset: &str, view: TourView, author: &str) -> Result<Tour> {
        self.update_tour(tour, author, |_, t| {
            scene_mut(t, asset)?.view = view;
            Ok(())
        })
    }

    /// Links scene `from` to scene `to` with a hotspot at (yaw, pitch) in `from`. Returns the tour and the new
    /// link's id.
    pub fn add_link(
        &mut self,
        tour: &str,
        (from, to): (&str, &str),
        (yaw, pitch): (f64, f64),
        arrival: Arrival,
        author: &str,
    ) -> Result<(Tour, String)> {
        let mut id = String::new();
        let t = self.update_tour(tour, author, |_, t| {
            id = t.next_hotspot_id("l");
            let start = t.scene(to).ok_or_else(|| not_in(t, format!("scene {to}")))?.view;
            let arrive = (arrival.yaw.is_some() || arrival.pitch.is_some()).then(|| TourView {
                yaw: arrival.yaw.unwrap_or(start.yaw),
                pitch: arrival.pitch.unwrap_or(start.pitch),
                hfov: start.hfov,
            });
            scene_mut(t, from)?.links.push(LinkHotspot {
                id: id.clone(),
                yaw,
                pitch,
                target: to.to_owned(),
                arrive,
            });
            Ok(())
        })?;
        Ok((t, id))
    }

    /// Sets where a link arrives: a view of its own, or (`None`) the target scene's start view.
    pub fn set_arrival_view(&mut self, tour: &str, link: &str, arrive: Option<TourView>, author: &str) -> Result<Tour> {
        self.update_tour(tour, author, |_, t| {
            link_mut(t, link)?.arrive = arrive;
            Ok(())
        })
    }

    /// Adds an information point to a scene. Returns the tour and the point's id.
    pub fn add_info(&mut self, tour: &str, scene: &str, point: InfoPoint, author: &str) -> Result<(Tour, String)> {
        let mut id = String::new();
        let t = self.update_tour(tour, author, |_, t| {
            id = t.next_hotspot_id("i");
            scene_mut(t, scene)?.infos.push(InfoHotspot {
                id: id.clone(),
                yaw: point.yaw,
                pitch: point.pitch,
                title: point.title,
                text: point.text,
                asset: point.asset,
            });
            Ok(())
        })?;
        Ok((t, id))
    }

    /// Changes an information point's texts (language → text, for the languages given; an empty text
    /// removes that language) and what it opens.
    pub fn edit_info(
        &mut self,
        tour: &str,
        id: &str,
        (title, text): (&BTreeMap<String, String>, &BTreeMap<String, String>),
        opens: Option<String>,
        author: &str,
    ) -> Result<Tour> {
        self.update_tour(tour, author, |_, t| {
            let info = info_mut(t, id)?;
            for (lang, value) in title {
                info.title.set(lang, value.trim());
            }
            for (lang, value) in text {
                info.text.set(lang, value.trim());
            }
            info.asset = opens;
            Ok(())
        })
    }

    /// Moves a link or an information point to (yaw, pitch) in its scene.
    pub fn move_hotspot(&mut self, tour: &str, id: &str, (yaw, pitch): (f64, f64), author: &str) -> Result<Tour> {
        self.update_tour(tour, author, |_, t| {
            let spot = t.scenes.iter_mut().find_map(|s| {
                let link = s
                    .links
                    .iter_mut()
                    .find(|l| l.id == id)
                    .map(|l| (&mut l.yaw, &mut l.pitch));
                link.or_else(|| {
                    s.infos
                        .iter_mut()
                        .find(|i| i.id == id)
                        .map(|i| (&mut i.yaw, &mut i.pitch))
                })
            });
            match spot {
                Some((y, p)) => {
                    (*y, *p) = (yaw, pitch);
                    Ok(())
                }
                None => Err(not_in(t, format!("hotspot {id}"))),
            }
        })
    }

    /// Removes a link or an information point.
    pub fn remove_hotspot(&mut self, tour: &str, id: &str, author: &str) -> Result<Tour> {
        self.update_tour(tour, author, |_, t| {
            let before: usize = t.scenes.iter().map(|s| s.links.len() + s.infos.len()).sum();
            for s in &mut t.scenes {
                s.links.retain(|l| l.id != id);
                s.infos.retain(|i| i.id != id);
            }
            let after: usize = t.scenes.iter().map(|s| s.links.len() + s.infos.len()).sum();
            if before == after {
                return Err(not_in(t, format!("hotspot {id}")));
            }
            Ok(())
        })
    }

    /// Turns down the suggested link `from` → `to`: [`Catalog::suggest_links`] marks it, nothing accepts it.
    pub fn reject_suggestion(&mut self, tour: &str, from: &str, to: &str, author: &str) -> Result<Tour> {
        self.update_tour(tour, author, |_, t| {
            for a in [from, to] {
                scene_mut(t, a)?;
            }
            t.reject_link(from, to)
        })
    }

    /// Adds every suggested link within `radius_m` that is neither linked nor rejected, at pitch −10°, in
    /// one revision.
    pub fn accept_suggestions(&mut self, tour: &str, radius_m: f64, author: &str) -> Result<Tour> {
        let new: Vec<_> = self
            .suggest_links(tour, radius_m)?
            .into_iter()
            .filter(|s| !s.exists && !s.rejected)
            .collect();
        self.update_tour(tour, author, |_, t| {
            for s in &new {
                let id = t.next_hotspot_id("l");
                scene_mut(t, &s.from)?.links.push(LinkHotspot {
                    id,
                    yaw: s.yaw,
                    pitch: -10.0,
                    target: s.to.clone(),
                    arrive: None,
                });
            }
            Ok(())
        })
    }
}
